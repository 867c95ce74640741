// One line typed at a terminal with echo off, for passwords and passphrases: never an argument (shell
// history, `ps`), never shown. Backspace edits, Ctrl-C cancels.

export interface HiddenInputIO {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  /** where the question goes (stderr, so stdout stays clean for scripts and archives) */
  prompt: (text: string) => void;
}

export function readHidden(io: HiddenInputIO, question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const { stdin } = io;
    io.prompt(question);
    stdin.setRawMode?.(true);
    stdin.resume();
    let value = '';
    const done = (error?: Error) => {
      stdin.setRawMode?.(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      io.prompt('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return done();
        if (char === '\u0003') return done(new Error('cancelled'));
        if (char === '\u007f' || char === '\b') value = [...value].slice(0, -1).join('');
        else value += char;
      }
    };
    stdin.on('data', onData);
  });
}
