// Real doors without hardware, with real protocols, as separate processes: `monban serve` and
// `monban controller run --config examples/controller.yaml` (the documented example, pointed at
// simulated devices). This test process plays the hardware: two OSDP readers on a serial line made
// by socat (a pseudo-terminal pair, as an RS-485 adapter would be), a fingerprint reader behind a
// TCP "serial-to-Ethernet adapter", secure DESFire-like cards, and a Modbus TCP I/O module. Every
// outcome is checked where an operator sees it: the server's events and alarms.
//   grant · deny · a UID-only card refused at a secure door · card+PIN on the keypad · duress ·
//   reader tamper · reader unplugged and back · door forced · held open · tailgating from a counter ·
//   a turnstile that relocks after one passage · a supervised loop cut
// Skipped, saying so, without socat (.ci/run installs it).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCard } from '../../src/cards/encode.ts';
import type { Channel } from '../../src/osdp/channel.ts';
import { attachPd } from '../../src/osdp/pd-driver.ts';
import { openSerial } from '../../src/osdp/serial.ts';
import { listenTcp, type TcpListener } from '../../src/osdp/tcp.ts';
import { SimulatedCard } from '../../src/sim/card.ts';
import { SimulatedReader } from '../../src/sim/reader.ts';
import { api, apiOk, freePort, MonbanProcess, seedAdminToken, waitFor } from '../support/fleet.ts';
import { SimulatedIoModule } from '../support/io-module.ts';

function hasSocat(): boolean {
  try {
    execFileSync('socat', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const socat = hasSocat();
if (!socat) console.warn('real-door tests skipped: socat is not installed (apt-get install socat)');

const EXAMPLE = new URL('../../examples/controller.yaml', import.meta.url).pathname;
const MASTER_KEY = '6d6f6e62616e2d746573742d6d6b2d31';
const PASSPHRASE = 'a passphrase from the service manager';
// The card application of the example configuration.
const cardKeys = {
  masterKey: new Uint8Array(Buffer.from(MASTER_KEY, 'hex')),
  aid: new Uint8Array(Buffer.from('014df5', 'hex')),
  systemId: new Uint8Array(Buffer.from('4d4f4e42414e2d31', 'hex')),
};
// Generous: a loaded 2-core machine runs the server, the controller and this test at once.
const WAIT = 20_000;

describe.skipIf(!socat)('real doors: a controller process driving OSDP readers and a Modbus module', () => {
  const dir = mkdtempSync(join(tmpdir(), 'monban-doors-'));
  const serverDir = join(dir, 'server');
  const controllerDir = join(dir, 'ctl-1');
  let socatProcess: ChildProcess | undefined;
  let bus: Channel | undefined;
  let lobby: TcpListener | undefined;
  let io: SimulatedIoModule;
  let server: MonbanProcess | undefined;
  let controller: MonbanProcess | undefined;
  let call: ReturnType<typeof api>;
  const env = { ...process.env, MONBAN_LOG_LEVEL: 'warn' } as NodeJS.ProcessEnv;
  delete env.MONBAN_DATABASE_URL;
  delete env.MONBAN_MQTT_URL;

  // R1: server room, transparent mode (the controller authenticates cards); R2: office, the reader
  // authenticates cards, keypad, own relay and door contact; R3: lobby turnstile, fingerprints.
  const r1 = new SimulatedReader({ address: 1, installMode: true, transparent: true });
  const r2 = new SimulatedReader({ address: 2, installMode: true, cardKeys, outputs: 1, inputs: 1 });
  const r3 = new SimulatedReader({ address: 0, installMode: true, cardKeys, biometric: true });
  const card = (id: string) => {
    const c = new SimulatedCard();
    encodeCard(c, cardKeys, { systemId: 1, id, issue: 1 });
    return c;
  };

  const events = async (type: string) =>
    ((await call('GET', `/api/events?type=${type}&limit=500`)).json.items ?? []) as {
      door?: string;
      personId?: string;
      detail: Record<string, unknown>;
    }[];
  const alarms = async (type: string) =>
    ((await call('GET', `/api/alarms?type=${type}&limit=100`)).json.alarms ?? []) as { message: string }[];
  const accessAt = async (door: string) => (await events('access')).filter((e) => e.door === door);
  const newAccess = async (door: string, count: number) =>
    waitFor(`an access event at ${door}`, async () => (await accessAt(door)).slice(count)[0], WAIT, 100);
  /** People counted through D2 by its overhead counter; waits until the controller has seen them. */
  const passThroughD2 = async (people: number) => {
    io.registers[1] = (io.registers[1]! + people) & 0xffff;
    // The counter is read every 50 ms; give it a few rounds.
    await new Promise((resolve) => setTimeout(resolve, 400));
  };
  const alarmMatching = (type: string, pattern: RegExp) =>
    waitFor(
      `a ${type} alarm matching ${pattern}`,
      async () => (await alarms(type)).find((a) => pattern.test(a.message)),
      WAIT,
      100,
    );

  beforeAll(async () => {
    // The hardware: a pseudo-terminal pair (the controller opens one end as its RS-485 port), a TCP
    // listener as the Ethernet adapter of the lobby bus, and the I/O module.
    const [ptyController, ptyReaders] = [join(dir, 'ttyRS485'), join(dir, 'ttyReaders')];
    socatProcess = spawn(
      'socat',
      [`pty,raw,echo=0,link=${ptyController}`, `pty,raw,echo=0,link=${ptyReaders}`],
      { stdio: 'ignore' },
    );
    await waitFor(
      'socat pseudo-terminals',
      () => existsSync(ptyController) && existsSync(ptyReaders),
      10_000,
      20,
    );
    bus = await openSerial(ptyReaders, { baudRate: 115200 });
    for (const reader of [r1, r2]) attachPd(reader.pd, bus, () => performance.now());
    lobby = await listenTcp('127.0.0.1', 0, (channel) => attachPd(r3.pd, channel, () => performance.now()));
    io = new SimulatedIoModule(await freePort());
    await io.start();

    const token = await seedAdminToken(serverDir);
    server = new MonbanProcess(['serve', '--data-dir', serverDir], {
      ...env,
      MONBAN_PORT: String(await freePort()),
      MONBAN_MQTT_PORT: String(await freePort()),
      MONBAN_HEARTBEAT_SECONDS: '1',
      MONBAN_LINK_TIMEOUT_SECONDS: '5',
    });
    const url = await waitFor(
      'the server to listen',
      () => /management server on (https:\/\/\S+)/.exec(server!.stderr)?.[1],
      30_000,
    );
    const caFile = join(serverDir, 'tls', 'server.crt');
    call = api(url, readFileSync(caFile, 'utf8'), token);
    const ok = apiOk(call);
    await ok('POST', '/api/areas', { id: 'office', name: 'Office' });
    await ok('POST', '/api/controllers', { id: 'ctl-1', name: 'Floor 3' });
    const door = (id: string, mode: string, extra: Record<string, unknown> = {}) =>
      ok('POST', '/api/doors', {
        id,
        name: id,
        fromArea: 'outside',
        toArea: 'office',
        controllerId: 'ctl-1',
        mode,
        strikeSeconds: 3,
        heldOpenSeconds: 2,
        ...extra,
      });
    await door('D1', 'card');
    await door('D2', 'card+pin');
    // The API does not take card+biometric doors yet (the site-model work adds every mode); the
    // fingerprint factor is covered in-process (test/controller/osdp-integration.test.ts).
    await door('D3', 'card', { strikeSeconds: 30 });
    await ok('POST', '/api/access-levels', { id: 'staff', name: 'Staff', doors: ['D1', 'D2', 'D3'] });
    await ok('POST', '/api/people', { id: 'alice', name: 'Alice', levels: ['staff'] });
    await ok('POST', '/api/credentials', {
      id: 'alice-card',
      personId: 'alice',
      type: 'card',
      identifier: 'C-1001',
      pin: '2580',
      duressPin: '9111',
    });

    const { token: enrollment } = await ok('POST', '/api/controllers/ctl-1/enrollment');
    const enroll = new MonbanProcess(
      ['controller', 'enroll', '--server', url, '--id', 'ctl-1', '--ca', caFile, '--data-dir', controllerDir],
      { ...env, MONBAN_ENROLLMENT_TOKEN: enrollment },
    );
    expect(await enroll.exited(), enroll.stderr).toBe(0);

    // The example configuration, pointed at the simulated hardware.
    const configFile = join(dir, 'controller.yaml');
    writeFileSync(
      configFile,
      readFileSync(EXAMPLE, 'utf8')
        .replace('/dev/ttyUSB0', ptyController)
        .replace('192.0.2.10:4001', `127.0.0.1:${lobby.port}`)
        .replace('192.0.2.20:502', `127.0.0.1:${io.port}`),
    );
    const controllerEnv = { ...env, MONBAN_KEYSTORE_PASSPHRASE: PASSPHRASE };
    const keyFile = join(dir, 'card-master.key');
    writeFileSync(keyFile, `${MASTER_KEY}\n`, { mode: 0o600 });
    const setKey = new MonbanProcess(
      [
        'controller',
        'keys',
        'set-card-key',
        '--key-file',
        keyFile,
        '--data-dir',
        controllerDir,
        '--config',
        configFile,
      ],
      controllerEnv,
    );
    expect(await setKey.exited(), setKey.stderr).toBe(0);
    rmSync(keyFile);

    controller = new MonbanProcess(
      ['controller', 'run', '--config', configFile, '--data-dir', controllerDir, '--heartbeat-seconds', '1'],
      controllerEnv,
    );
    await waitFor(
      'the controller to hold its snapshot',
      async () => ((await call('GET', '/api/controllers/ctl-1/status')).json.snapshotVersion ?? 0) > 0,
      40_000,
      200,
    );
    await waitFor(
      'every reader installed and in Secure Channel',
      () => [r1, r2, r3].every((r) => r.pd.secure && !r.pd.inInstallMode),
      40_000,
      100,
    );
  }, 150_000);

  afterAll(async () => {
    if (controller && controller.child.exitCode !== null) console.log('CONTROLLER', controller.stderr);
    try {
      await controller?.stop();
      await server?.stop();
    } finally {
      await bus?.close();
      await lobby?.close();
      await io?.stop();
      if (socatProcess && socatProcess.exitCode === null) {
        const exited = new Promise((resolve) => socatProcess!.once('exit', resolve));
        socatProcess.kill();
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);

  it('grants a secure card authenticated by the controller through the reader, and releases the strike relay', async () => {
    const before = (await accessAt('D1')).length;
    r1.presentCard(card('C-1001'));
    expect(await newAccess('D1', before)).toMatchObject({ personId: 'alice', detail: { result: 'grant' } });
    await waitFor('the strike relay on', () => io.coils[0] === true, WAIT, 20);
    await waitFor('green on the reader', () => r1.indicators.led.color === 2, WAIT, 20);
    await waitFor('the strike relay off after the strike time', () => io.coils[0] === false, WAIT, 50);
  });

  it('denies a card it does not know, and refuses a UID-only card at a door that needs a secure one', async () => {
    const before = (await accessAt('D1')).length;
    r1.presentCard(card('C-4040'));
    expect((await newAccess('D1', before)).detail).toMatchObject({
      result: 'deny',
      reason: 'unknown_credential',
    });
    r1.presentCard(new SimulatedCard({ uid: Uint8Array.of(0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66) }));
    const refused = await waitFor(
      'the UID-only read refused',
      async () => (await events('insecure_credential')).find((e) => e.detail.format === 'uid'),
      WAIT,
      100,
    );
    expect(refused).toMatchObject({ door: 'D1', detail: { accepted: false, reader: 'R1' } });
    expect((await accessAt('D1')).length).toBe(before + 1);
  });

  it("takes the PIN from the keypad at a card+PIN door, and drives the reader's own relay", async () => {
    const before = (await accessAt('D2')).length;
    r2.presentCard(card('C-1001'));
    await waitFor('amber: waiting for the PIN', () => r2.indicators.led.color === 3, WAIT, 20);
    r2.type('2580#');
    expect((await newAccess('D2', before)).detail).toMatchObject({ result: 'grant' });
    await waitFor("the reader's relay on", () => r2.outputs[0] === true, WAIT, 20);
    await passThroughD2(1);
  });

  it('opens on the duress PIN and raises a silent duress alarm', async () => {
    const before = (await accessAt('D2')).length;
    r2.presentCard(card('C-1001'));
    await waitFor('amber: waiting for the PIN', () => r2.indicators.led.color === 3, WAIT, 20);
    r2.type('9111#');
    expect((await newAccess('D2', before)).detail).toMatchObject({ result: 'grant', warnings: 'duress' });
    await alarmMatching('duress', /door D2/);
    await waitFor('green on the reader, as for any grant', () => r2.indicators.led.color === 2, WAIT, 20);
    await passThroughD2(1);
  });

  it('counts two people through on one grant as tailgating', async () => {
    const before = (await accessAt('D2')).length;
    r2.presentCard(card('C-1001'));
    await waitFor('amber', () => r2.indicators.led.color === 3, WAIT, 20);
    r2.type('2580#');
    await newAccess('D2', before);
    await passThroughD2(2);
    await alarmMatching('tailgating', /door D2: 2 passed on 1 grant/);
  });

  it('raises forced_open for a door opened without a grant, and held_open when it stays open', async () => {
    await waitFor('D1 locked', () => io.coils[0] === false, WAIT, 50);
    io.inputs[0] = true;
    await alarmMatching('forced_open', /door D1/);
    await alarmMatching('held_open', /door D1/);
    io.inputs[0] = false;
  });

  it('raises tamper when a reader is opened, and when the cabinet loop is cut', async () => {
    r1.setTamper(true);
    await alarmMatching('tamper', /door D1: reader R1 case opened/);
    r1.setTamper(false);
    io.registers[0] = 60_000;
    await alarmMatching('tamper', /input cabinet: wiring cut/);
    io.registers[0] = 1000;
  });

  it('passes one person per grant at the turnstile: it relocks after one counted passage', async () => {
    const before = (await accessAt('D3')).length;
    r3.presentCard(card('C-1001'));
    expect((await newAccess('D3', before)).detail).toMatchObject({ result: 'grant' });
    await waitFor('the turnstile released', () => io.coils[1] === true, WAIT, 20);
    io.inputs[2] = true; // the beam: one person
    await waitFor(
      'the turnstile locked again, long before its 30 s strike time',
      () => io.coils[1] === false,
      WAIT,
      20,
    );
    io.inputs[2] = false;
  });

  it('raises one alarm when a reader is unplugged, and records it back', async () => {
    const onlines = async () =>
      (await events('reader')).filter((e) => e.detail.reader === 'R2' && e.detail.state === 'online').length;
    const before = await onlines();
    const receive = r2.pd.receive.bind(r2.pd);
    r2.pd.receive = () => undefined; // unplugged: silence on the bus
    await alarmMatching('comms_lost', /reader R2 offline/);
    r2.pd.receive = receive;
    await waitFor('the reader back online', async () => (await onlines()) > before, WAIT, 200);
    expect((await alarms('comms_lost')).filter((a) => /reader R2/.test(a.message))).toHaveLength(1);
    // The other doors never noticed.
    const grants = (await accessAt('D1')).length;
    r1.presentCard(card('C-1001'));
    expect((await newAccess('D1', grants)).detail).toMatchObject({ result: 'grant' });
  }, 40_000);
});
