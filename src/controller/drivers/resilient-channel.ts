// A reader bus that stays up by itself: it opens its port (an RS-485 adapter, or a serial-to-Ethernet
// adapter over TCP), notices when the port goes away (adapter unplugged, connection dropped) and opens
// it again every `retryMs`, without the control panel noticing more than missing replies — which it
// turns into one offline alarm per reader, and an online event when the reader answers again.

import type { Channel } from '../../osdp/channel.ts';

export type OpenPort = (onClose: (reason: string) => void) => Promise<Channel>;

export class ResilientChannel implements Channel {
  private current: Channel | undefined;
  private readonly listeners: ((bytes: Uint8Array) => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private opening: Promise<void> | undefined;

  constructor(
    private readonly open: OpenPort,
    private readonly retryMs: number,
    /** the port came up or went down (for the log; readers raise their own alarms) */
    private readonly onState: (up: boolean, reason: string) => void = () => {},
  ) {}

  get connected(): boolean {
    return this.current !== undefined;
  }

  /** Opens the port now; failing that, keeps trying in the background. */
  start(): Promise<void> {
    this.opening = this.attempt();
    return this.opening;
  }

  private async attempt(): Promise<void> {
    if (this.closed) return;
    try {
      const channel = await this.open((reason) => this.lost(channel, reason));
      if (this.closed) {
        await channel.close();
        return;
      }
      channel.onData((bytes) => {
        if (this.current === channel) for (const listener of this.listeners) listener(bytes);
      });
      this.current = channel;
      this.onState(true, 'open');
    } catch (error) {
      this.onState(false, (error as Error).message);
      this.retry();
    }
  }

  private lost(channel: Channel, reason: string): void {
    if (this.current !== channel) return;
    this.current = undefined;
    this.onState(false, reason);
    void channel.close().catch(() => {});
    this.retry();
  }

  private retry(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.opening = this.attempt();
    }, this.retryMs);
  }

  send(bytes: Uint8Array): void {
    this.current?.send(bytes);
  }

  onData(listener: (bytes: Uint8Array) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.opening;
    const current = this.current;
    this.current = undefined;
    await current?.close();
  }
}
