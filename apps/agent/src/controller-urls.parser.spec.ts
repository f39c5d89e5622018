import { describe, expect, it } from 'vitest';
import { parseControllerUrls } from './controller-urls.parser.js';

describe('parseControllerUrls', () => {
  it('keeps a single URL exactly as given', () => {
    expect(parseControllerUrls('wss://corral.example:7070/agent')).toEqual({
      ok: true,
      urls: ['wss://corral.example:7070/agent'],
    });
  });

  it('splits a comma list in order, ignoring blanks around entries and empty entries', () => {
    expect(parseControllerUrls(' ws://a:7070/agent ,\twss://b:7070/agent,, ')).toEqual({
      ok: true,
      urls: ['ws://a:7070/agent', 'wss://b:7070/agent'],
    });
  });

  it('names every bad entry by position and text', () => {
    const sut = parseControllerUrls('ws://a:7070/agent,http://b:7070/agent,b:7070,ws://a:7070/agent');
    expect(sut.ok).toBe(false);
    if (sut.ok) return;
    expect(sut.problems).toHaveLength(3);
    expect(sut.problems[0]).toMatch(
      /^CORRAL_CONTROLLER_URL entry 2 "http:\/\/b:7070\/agent" must be a ws:\/\/ or wss:\/\//,
    );
    expect(sut.problems[1]).toMatch(/^CORRAL_CONTROLLER_URL entry 3 "b:7070" must be a ws:\/\/ or wss:\/\//);
    expect(sut.problems[2]).toBe('CORRAL_CONTROLLER_URL entry 4 "ws://a:7070/agent" is listed twice');
  });

  it('says a lone bad URL is bad without an entry number', () => {
    expect(parseControllerUrls('ws//a:7070')).toEqual({
      ok: false,
      problems: [
        'CORRAL_CONTROLLER_URL "ws//a:7070" is not a URL: give a ws:// or wss:// URL, e.g. ws://127.0.0.1:7070/agent',
      ],
    });
  });

  it('refuses a list with no entry', () => {
    const sut = parseControllerUrls(' , ');
    expect(sut.ok).toBe(false);
    if (!sut.ok) expect(sut.problems[0]).toMatch(/CORRAL_CONTROLLER_URL is empty/);
  });
});
