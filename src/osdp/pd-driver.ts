// Connects a PeripheralDevice to a channel: frames in, replies out.

import type { Channel } from './channel.ts';
import type { PeripheralDevice } from './pd.ts';
import { FrameDecoder } from './phy.ts';

export function attachPd(pd: PeripheralDevice, channel: Channel, now: () => number): void {
  const decoder = new FrameDecoder();
  channel.onData((bytes) => {
    const at = now();
    for (const frame of decoder.push(bytes, at)) {
      const reply = pd.receive(frame, at);
      if (reply) channel.send(reply);
    }
  });
}
