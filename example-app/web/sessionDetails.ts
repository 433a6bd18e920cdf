/**
 * Session details for the example page: a name for the login derived from the
 * browser's User-Agent, and the cell that says which device a session is, when and from where it
 * was last used, so that a stranger's session stands out.
 */

/** "Firefox on Linux", "Chrome on Android"...: the login's `name`, at most 64 characters. */
export function deviceName(userAgent: string): string {
  const browser =
    [
      [/Edg\//, 'Edge'],
      [/OPR\/|Opera/, 'Opera'],
      [/Firefox\//, 'Firefox'],
      [/(Headless)?Chrom(e|ium)\//, 'Chrome'],
      [/Safari\//, 'Safari'],
    ].find(([pattern]) => (pattern as RegExp).test(userAgent))?.[1] ?? 'A browser';
  const system =
    [
      [/Android/, 'Android'],
      [/iPhone|iPad|iOS/, 'iOS'],
      [/Windows/, 'Windows'],
      [/Mac OS X|Macintosh/, 'macOS'],
      [/CrOS/, 'ChromeOS'],
      [/Linux|X11/, 'Linux'],
    ].find(([pattern]) => (pattern as RegExp).test(userAgent))?.[1] ?? 'an unknown system';
  return `${browser} on ${system}`.slice(0, 64);
}

interface SessionMetadata {
  name: string | null;
  lastUsedAt: Date | null;
  lastIp: string | null;
  userAgent: string | null;
}

function span(className: string, text: string): HTMLSpanElement {
  const node = document.createElement('span');
  node.className = className;
  node.textContent = text;
  return node;
}

/** The "Device" cell: name, browser, IP and last use, each in its own span (the e2e test reads them). */
export function sessionDetailsCell(session: SessionMetadata): HTMLTableCellElement {
  const cell = document.createElement('td');
  cell.className = 'session-details';
  cell.append(
    span('session-name', session.name ?? 'unnamed session'),
    span('session-browser', session.userAgent ? deviceName(session.userAgent) : 'unknown browser'),
    span('session-ip', session.lastIp ?? 'no IP yet'),
    span('session-last-used', session.lastUsedAt ? `last used ${session.lastUsedAt.toLocaleString()}` : 'not used yet'),
  );
  if (session.userAgent) cell.title = session.userAgent;
  return cell;
}
