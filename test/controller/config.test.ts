// The controller configuration file: the documented example loads; a malformed or inconsistent file
// is refused with the file, the line, the field and the reason — before any port is opened.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  loadControllerConfig,
  parseControllerConfig,
} from '../../src/controller/config/load.ts';

const EXAMPLE = new URL('../../examples/controller.yaml', import.meta.url).pathname;
const exampleText = readFileSync(EXAMPLE, 'utf8');
const anyPort = { exists: () => true };

function refusal(text: string, exists: (path: string) => boolean = () => true): ConfigError {
  try {
    parseControllerConfig(text, 'ctl.yaml', { exists });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

describe('controller configuration', () => {
  it('loads the documented example with its defaults filled in', () => {
    const config = loadControllerConfig(EXAMPLE, anyPort);
    expect(config.readers.map((r) => [r.id, r.bus, r.address, r.cards])).toEqual([
      ['R1', 'rs485-1', 1, 'transparent'],
      ['R2', 'rs485-1', 2, 'reader'],
      ['R3', 'lobby', 0, 'reader'],
    ]);
    expect(config.buses[0]).toMatchObject({ baud: 115200, pollMs: 50, offlineMs: 8000 });
    expect(config.doors.find((d) => d.id === 'D3')).toMatchObject({
      turnstile: true,
      allowLegacy: ['wiegand'],
    });
    expect(config.keyStore.passphrase).toBe('env:MONBAN_KEYSTORE_PASSPHRASE');
  });

  it('refuses a serial port that does not exist, naming it', () => {
    const error = refusal(exampleText, (path) => path !== '/dev/ttyUSB0');
    expect(error.field).toBe('buses[0].serial');
    expect(error.reason).toMatch(/\/dev\/ttyUSB0 does not exist/);
    expect(error.message).toMatch(/^ctl\.yaml:\d+: buses\[0\]\.serial: /);
    expect(error.line).toBe(exampleText.split('\n').findIndex((l) => l.includes('serial: /dev/ttyUSB0')) + 1);
  });

  it('refuses a reader at an unknown door', () => {
    const error = refusal(exampleText.replace('door: D2', 'door: D9'));
    expect(error.field).toBe('readers[1].door');
    expect(error.reason).toBe('unknown door "D9" (not in doors)');
  });

  it('refuses two readers at one address on one bus', () => {
    const error = refusal(exampleText.replace('address: 2', 'address: 1'));
    expect(error.field).toBe('readers[1].address');
    expect(error.reason).toBe('address 1 is already used by readers[0] on bus rs485-1');
  });

  it('refuses one input wired to two things, and inputs a module does not read', () => {
    const twice = refusal(
      exampleText.replace('rex: { module: io-1, input: 1 }', 'rex: { module: io-1, input: 0 }'),
    );
    expect(twice.field).toBe('doors[0].rex');
    expect(twice.reason).toBe('input 0 of module io-1 is already used by doors[0].contact');
    const beyond = refusal(exampleText.replace('input: 7', 'input: 8'));
    expect(beyond.field).toBe('inputs[0].source.input');
    expect(beyond.reason).toMatch(/reads inputs 0 … 7/);
  });

  it('names a misspelt key, a missing one and a wrong type', () => {
    expect(refusal(exampleText.replace('turnstile: true', 'turnstyle: true')).field).toBe(
      'doors[2].turnstyle',
    );
    expect(refusal(exampleText.replace('version: 1\n', '')).field).toBe('version');
    const badBaud = refusal(exampleText.replace('baud: 115200', 'baud: 115000'));
    expect(badBaud.field).toBe('buses[0].baud');
    expect(badBaud.reason).toMatch(/one of 9600/);
  });

  it('refuses transparent card reads without the card application, and bad YAML', () => {
    const noCards = refusal(exampleText.replace(/cards:\n {2}aid: 014df5\n {2}systemId: \w+\n/, ''));
    expect(noCards.field).toBe('readers[0].cards');
    expect(refusal('version: 1\ndoors: [\n').reason).toMatch(/not valid YAML/);
  });

  it('never accepts a key in the file: there is no field for one', () => {
    const error = refusal(
      exampleText.replace('install: true', 'install: true\n    scbk: 00112233445566778899aabbccddeeff'),
    );
    expect(error.reason).toBe('unknown key');
  });
});
