// The language-conditioned policy: instruction -> plan -> executor, at the env level.
export * from './LanguagePolicy.ts';
export * from './runLanguageEpisode.ts';
