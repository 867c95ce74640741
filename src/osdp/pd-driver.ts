// Connects a PeripheralDevice to a channel: frames in, replies out. The PD answers as soon as a
// whole frame has arrived, so no loop or timer is needed on the reader side.

import type { Channel } from './channel.ts';
import type { PeripheralDevice } from './pd.ts';
import { FrameDecoder } from './phy.ts';

export function attachPd(pd: PeripheralDevice, channel: Channel, now: () => number): void {
  const decoder = new FrameDecoder();
  channel.onData((bytes) => {
    const at = now();
    for (const frame of decoder.push(bytes, at)) {
      // Looked up on each frame (not bound once) so tests can stand in for the PD's answer.
      const reply = pd.receive(frame, at);
      if (reply) channel.send(reply);
    }
  });
}
