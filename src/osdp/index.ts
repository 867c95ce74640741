// The public surface of the OSDP library. Transports that load native or network modules (serial,
// TCP) are imported from their own files so an application only loads what it uses.
export { fromHex, hex } from './bytes.ts';
export { type Channel, loopbackPair, type Noise, serialLinePair } from './channel.ts';
export * from './codes.ts';
export * from './commands.ts';
export { ControlPanel, type CpEvents, type CpOptions, type LinkState, type PdConfig } from './cp.ts';
export { type CpDriver, runControlPanel } from './cp-driver.ts';
export { PD_OFFLINE_MS, PD_SC_TIMEOUT_MS, type PdOptions, PeripheralDevice } from './pd.ts';
export { attachPd } from './pd-driver.ts';
export { buildPacket, FrameDecoder, MAX_PACKET, type Packet, parsePacket } from './phy.ts';
export * from './replies.ts';
export { isDefaultKey, SCBK_D, scbkFromMasterKey } from './sc.ts';
