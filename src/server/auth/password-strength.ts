// The password strength estimator (zxcvbn-ts), built once on first use: its common passwords and
// keyboard layouts, English words and names, and the Japanese dictionary (romaji words, given and
// family names). Only the first 64 characters are estimated and letter substitutions are capped:
// the estimate of a long, hostile password would otherwise take seconds of CPU (a 256-character
// `P@$$w0rd…` took 14 s uncapped), and a password that long is judged by its first 64 anyway.

import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as en from '@zxcvbn-ts/language-en';
import * as ja from '@zxcvbn-ts/language-ja';

export const ESTIMATED_LENGTH = 64;

let estimator: ZxcvbnFactory | undefined;

export function strengthEstimator(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({
    dictionary: {
      ...common.dictionary,
      ...en.dictionary,
      jaCommonWords: ja.dictionary.commonWords,
      jaFirstnames: ja.dictionary.firstnames,
      jaLastnames: ja.dictionary.lastnames,
      jaWikipedia: ja.dictionary.wikipedia,
    },
    graphs: common.adjacencyGraphs,
    maxLength: ESTIMATED_LENGTH,
    l33tMaxSubstitutions: 10,
  });
  return estimator;
}
