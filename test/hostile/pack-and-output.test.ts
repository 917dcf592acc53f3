import { spawn } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSnapshot } from '../../bench/generate-snapshot.js';
import { cli, ROOT, tempDir } from '../helpers/cli.js';
import { scaled } from '../helpers/scale.js';

/**
 * A rule pack is data someone else may have written, and its diagnostics end up in public CI logs: it reads only
 * its own files and never echoes more than a short, escaped excerpt. And `--out` writes what it should, where it
 * should, and nothing else.
 */

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const COMPLIANT = join(ROOT, 'examples', 'compliant', 'snapshot.json');
const CUSTOM_PACK = join(ROOT, 'examples', 'custom-pack');
const ESC = '\u001b';

let dir: string;
beforeAll(() => {
  dir = tempDir();
  writeFileSync(join(dir, 'secrets.env'), `AWS_SECRET_ACCESS_KEY: ${SECRET}\nDB_PASSWORD: hunter2\n`);
  writeFileSync(join(dir, 'shadow'), `root:$6$${SECRET}:19000:0:99999:7:::\n`);
});

function pack(name: string): string {
  const folder = join(dir, name);
  cpSync(CUSTOM_PACK, folder, { recursive: true });
  return folder;
}

describe('a rule pack reads only its own files', () => {
  it('a rule file or pack.yaml that links outside the pack is refused unread; --allow-outside-pack reads it', async () => {
    const folder = pack('linked');
    symlinkSync(join(dir, 'secrets.env'), join(folder, 'stolen.yaml'));
    symlinkSync(join(dir, 'shadow'), join(folder, 'shadow.yaml'));
    const run = await cli(['validate', folder]);
    expect(run.code).toBe(2);
    expect(run.stderr).not.toContain(SECRET);
    expect(run.stderr).not.toContain('AWS_SECRET_ACCESS_KEY');
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      `${folder}/shadow.yaml: rule file is a symbolic link that leads outside the rule pack: refused (pass --allow-outside-pack to read files outside the pack) [outside-pack]`,
      `${folder}/stolen.yaml: rule file is a symbolic link that leads outside the rule pack: refused (pass --allow-outside-pack to read files outside the pack) [outside-pack]`,
    ]);
    const check = await cli(['check', COMPLIANT, '--rules', folder]);
    expect(check.code).toBe(2);
    expect(check.stderr).toContain('stolen.yaml: rule file is a symbolic link that leads outside the rule pack');

    const allowed = await cli(['validate', folder, '--allow-outside-pack']);
    expect(allowed.code).toBe(2);
    expect(allowed.stderr).toContain(
      'AWS_SECRET_ACCESS_KEY is not a known property: known properties are id, title, severity, description, rationale, audit, remediation, fix, references, tags, controls, params, resources, when, let, assert, message [rule-schema]',
    );
    // Even then, a long line that parsed as a property name is quoted as a short excerpt, never whole.
    expect(allowed.stderr).not.toContain(SECRET);
    expect(allowed.stderr).toContain(
      `"root:$6$${SECRET.slice(0, 32)}…" is not a known property: known properties are id, title, severity, description, rationale, audit, remediation, fix, references, tags, controls, params, resources, when, let, assert, message [rule-schema]`,
    );

    const linkedPackFile = pack('linked-pack-yaml');
    writeFileSync(join(dir, 'outside-pack.yaml'), 'name: x\nversion: "1"\n');
    const packYaml = join(linkedPackFile, 'pack.yaml');
    writeFileSync(packYaml, '');
    const { rmSync } = await import('node:fs');
    rmSync(packYaml);
    symlinkSync(join(dir, 'outside-pack.yaml'), packYaml);
    const viaPackYaml = await cli(['validate', linkedPackFile]);
    expect(viaPackYaml.stderr.split('\n')[0]).toBe(
      `${packYaml}: pack file is a symbolic link that leads outside the rule pack: refused (pass --allow-outside-pack to read files outside the pack) [outside-pack]`,
    );
  });

  it('a rule test naming an absolute path, a path out of the pack or a link out of it is refused where it is written', async () => {
    const folder = pack('test-inputs');
    symlinkSync('/etc/hostname', join(folder, 'link.json'));
    const tests = join(folder, 'trail-multi-region-log-validation.tests.yaml');
    writeFileSync(
      tests,
      `${readFileSync(tests, 'utf8')}  - name: environ
    snapshot: /proc/self/environ
    expect: { x: pass }
  - name: shadow
    snapshot: ../../../../../../etc/shadow
    expect: { x: pass }
  - name: link
    snapshots: [link.json]
    expect: { x: pass }
`,
    );
    const run = await cli(['test', folder]);
    expect(run.code).toBe(2);
    expect(run.stderr).not.toMatch(/SHELL=|PATH=|root:/);
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      `${tests}:22:15 snapshot "/proc/self/environ" must be a path relative to the tests file, inside the rule pack: found an absolute path (pass --allow-outside-pack to read files outside the pack) [outside-pack]`,
      `${tests}:25:15 snapshot "../../../../../../etc/shadow" is outside the rule pack ${folder}: refused (pass --allow-outside-pack to read files outside the pack) [outside-pack]`,
      `${tests}:28:17 snapshot "link.json" is a symbolic link that leads outside the rule pack: refused (pass --allow-outside-pack to read files outside the pack) [outside-pack]`,
    ]);
    // Allowed, the files are read — and a file that is not JSON is still quoted only a few characters deep.
    const allowed = await cli(['test', folder, '--allow-outside-pack']);
    expect(allowed.code).toBe(2);
    expect(allowed.stderr).toMatch(/\/proc\/self\/environ:1:1 invalid JSON: expected a JSON value, found ".{1,12}" \[json-syntax\]/);
  });

  it('a pack.yaml that is a list or has unknown keys is a located error', async () => {
    const list = pack('pack-list');
    writeFileSync(join(list, 'pack.yaml'), '- name: x\n- version: 1\n');
    const unknown = pack('pack-unknown');
    writeFileSync(join(unknown, 'pack.yaml'), 'name: x\nversion: "1"\nrulez: [a]\nparams: {}\n');
    const run = await cli(['validate', list, unknown]);
    expect(run.code).toBe(2);
    expect(
      run.stderr
        .trimEnd()
        .split('\n')
        .filter((line) => line.includes('pack.yaml:')),
    ).toEqual([
      `${list}/pack.yaml:1:1 pack.yaml: (document) must be an object, found an array [rule-schema]`,
      `${unknown}/pack.yaml:3:1 pack.yaml: rulez is not a known property (did you mean rules?) [rule-schema]`,
    ]);
  });

  it('control characters from a rule file reach the terminal escaped, never raw', async () => {
    const folder = join(dir, 'escapes');
    mkdirSync(folder);
    writeFileSync(
      join(folder, 'r.yaml'),
      `id: r\ntitle: t\nseverity: low\nresources: { path: "$.trails[*]", id: TrailARN, type: T }\nassert: [{ path: $.Name, op: exists }]\n"${ESC}]0;owned${ESC}\\\\\\u009b2J": 1\n`,
    );
    const run = await cli(['validate', folder]);
    expect(run.code).toBe(2);
    expect([...run.stderr].some((c) => c === ESC || c === '\u009b')).toBe(false);
    expect(run.stderr).toBe(
      `${folder}/r.yaml:6:1 "\\u001b]0;owned\\u001b\\\\\\u009b2J" is not a known property: known properties are id, title, severity, description, rationale, audit, remediation, fix, references, tags, controls, params, resources, when, let, assert, message [rule-schema]\n`,
    );
  });
});

describe('--out', () => {
  it('a device or /dev/stdout is written directly, never replaced by a regular file', async () => {
    const toNull = await cli(['check', COMPLIANT, '--out', '/dev/null']);
    expect(toNull.code).toBe(0);
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
    const toStdout = await cli(['check', COMPLIANT, '--format', 'csv', '--out', '/dev/stdout', '--quiet']);
    expect(toStdout.code).toBe(0);
    expect(toStdout.stdout.split('\n')[0]).toMatch(/^status,severity,rule_id,/);
    expect(toStdout.stdout.trimEnd().split('\n')).toHaveLength(11);
  });

  it('an input, a symbolic link or a folder is refused before anything runs', async () => {
    const folder = join(dir, 'out-refused');
    mkdirSync(folder);
    const snapshot = join(folder, 'snapshot.json');
    cpSync(COMPLIANT, snapshot);
    const before = readFileSync(snapshot, 'utf8');
    const same = await cli(['check', snapshot, '--out', snapshot]);
    expect(same.code).toBe(2);
    expect(same.stderr).toBe(
      `${snapshot}: cannot write the output: it is also an input (${snapshot}): refused, the input would be overwritten [output]\n`,
    );
    expect(readFileSync(snapshot, 'utf8')).toBe(before);

    const target = join(folder, 'elsewhere.json');
    writeFileSync(target, 'keep me');
    const link = join(folder, 'report.json');
    symlinkSync(target, link);
    const linked = await cli(['check', snapshot, '--out', link]);
    expect(linked.code).toBe(2);
    expect(linked.stderr).toBe(
      `${link}: cannot write the output: it is a symbolic link: refused, so a report never overwrites a file the link chose; give the file it points to [output]\n`,
    );
    expect(readFileSync(target, 'utf8')).toBe('keep me');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);

    const explain = await cli(['explain', snapshot, '--rule', 'cloudtrail-sse-kms', '--resource', 'management-events', '--out', folder]);
    expect(explain.stderr).toBe(`${folder}: cannot write the output: it is a folder: give a file name [output]\n`);
    expect(explain.code).toBe(2);
  });

  it('a report replaced keeps its permissions; stale temporary files of dead runs are removed, live ones kept', async () => {
    const folder = join(dir, 'out-replace');
    mkdirSync(folder);
    const out = join(folder, 'results.json');
    writeFileSync(out, '{}', { mode: 0o640 });
    const stale = join(folder, '.results.json.trailguard-999999-0a1b2c3d.tmp');
    const live = join(folder, `.results.json.trailguard-${process.pid}-0a1b2c3d.tmp`);
    const other = join(folder, '.other.json.trailguard-999999-0a1b2c3d.tmp');
    for (const f of [stale, live, other]) writeFileSync(f, 'half');
    const run = await cli(['check', COMPLIANT, '--out', out, '--quiet']);
    expect(run.code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o640);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toHaveProperty('findings');
    expect(readdirSync(folder).sort()).toEqual(
      ['.other.json.trailguard-999999-0a1b2c3d.tmp', `.results.json.trailguard-${process.pid}-0a1b2c3d.tmp`, 'results.json'].sort(),
    );
  });

  it('Ctrl-C, SIGTERM and SIGHUP while a large report renders stop it within a second and leave no file', async () => {
    const folder = join(dir, 'interrupt');
    mkdirSync(folder);
    const snapshot = join(folder, 'snapshot.json');
    await generateSnapshot(snapshot, scaled(8000, 3000));
    for (const [signal, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
      ['SIGHUP', 129],
    ] as const) {
      const out = join(folder, `report-${signal}.html`);
      const child = spawn(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), 'check', snapshot, '--format', 'html', '--out', out], {
        stdio: 'ignore',
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      // Wait until the temporary file exists: the evaluation and rendering are under way.
      const start = Date.now();
      while (!readdirSync(folder).some((f) => f.startsWith(`.report-${signal}.html.trailguard-`)) && Date.now() - start < 20_000) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const sent = Date.now();
      child.kill(signal);
      expect(await exited).toBe(code);
      expect(Date.now() - sent).toBeLessThan(1000);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(folder)).toEqual(['snapshot.json']);
    }
  }, 120_000);
});
