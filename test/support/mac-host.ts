import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Sshd, type KeyFiles } from './sshd';

const WRAPPER = resolve('mac/mana-ops-wrapper');
const fixture = (name: string) => readFileSync(`test/fixtures/mac/${name}`, 'utf8');

/**
 * The Mac Mini as the bot's key sees it: a real sshd whose authorized_keys binds the key to mac/mana-ops-wrapper
 * (command=…,restrict, as the README installs it), and stand-ins for the macOS programs the wrapper calls
 * (launchctl, pgrep, colima, mount, df, uptime), answering in the shapes of test/fixtures/mac (see SOURCE.txt)
 * from a state folder the test changes. cloudflared is a real process (a sleep), so `ps -o lstart=` is real.
 */
export class MacStandIn {
  readonly dir = mkdtempSync(join(tmpdir(), 'mo-mac-'));
  readonly bin = join(this.dir, 'bin');
  readonly state = join(this.dir, 'state');
  readonly ssd = join(this.dir, 'Volumes', 'ManaData');
  readonly backups = join(this.ssd, 'backups', 'postgres');
  readonly monorepo = join(this.dir, 'mana-monorepo');
  readonly sshd: Sshd;

  /** `docker`: the test dockerd and image that the stand-in `docker compose up` creates containers in. */
  constructor(
    keys: KeyFiles,
    private readonly docker?: { socket: string; image: string },
  ) {
    for (const d of [this.bin, this.state, this.backups, this.monorepo]) mkdirSync(d, { recursive: true });
    const env = {
      MANA_OPS_PATH: `${this.bin}:/usr/bin:/bin:/usr/sbin:/sbin`,
      MANA_OPS_SSD: this.ssd,
      MANA_OPS_MONOREPO: this.monorepo,
      MANA_OPS_STATE: this.state,
      MANA_OPS_CLOUDFLARED_LOG: join(this.state, 'cloudflared.log'),
    };
    this.sshd = new Sshd(keys, { forcedCommand: `${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')} ${WRAPPER}` });
    this.write();
  }

  private script(name: string, body: string): void {
    const path = join(this.bin, name);
    writeFileSync(path, `#!/bin/bash\nSTATE='${this.state}'\n${body}\n`);
    chmodSync(path, 0o755);
  }

  private write(): void {
    writeFileSync(join(this.state, 'launchctl-list.txt'), fixture('launchctl-list.txt'));
    writeFileSync(join(this.state, 'colima-list.txt'), fixture('colima-list.txt'));
    writeFileSync(join(this.state, 'df-k.txt'), fixture('df-k.txt').replaceAll('{{SSD}}', this.ssd));
    writeFileSync(join(this.state, 'mount.txt'), fixture('mount.txt').replaceAll('{{SSD}}', this.ssd));
    writeFileSync(join(this.state, 'uptime.txt'), fixture('uptime.txt'));
    writeFileSync(join(this.state, 'cloudflared.log'), '2026-12-01T16:02:10Z INF Registered tunnel connection connIndex=0 location=fra07 protocol=quic\n');
    // launchctl: list in its three columns; stop and start the cloudflared job (a real process while it runs).
    this.script(
      'launchctl',
      `pidfile="$STATE/cloudflared.pid"
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
case "$1" in
  list)
    if running; then pid="$(cat "$pidfile")"; else pid=-; fi
    sed "s/{{CLOUDFLARED_PID}}/$pid/" "$STATE/launchctl-list.txt" | grep -v -F -f "$STATE/unloaded" 2>/dev/null || sed "s/{{CLOUDFLARED_PID}}/$pid/" "$STATE/launchctl-list.txt"
    ;;
  stop)
    [ "$2" = com.cloudflare.cloudflared ] || exit 0
    if running; then kill "$(cat "$pidfile")"; fi
    rm -f "$pidfile"
    ;;
  start)
    [ "$2" = com.cloudflare.cloudflared ] || exit 0
    [ -f "$STATE/cloudflared.broken" ] && exit 0
    running && exit 0
    nohup sleep 100000 >/dev/null 2>&1 &
    echo $! >"$pidfile"
    ;;
  *) echo "Unrecognized subcommand: $1" >&2; exit 64 ;;
esac`,
    );
    this.script(
      'pgrep',
      `[ "$1" = -x ] && [ "$2" = cloudflared ] || exec /usr/bin/pgrep "$@"
pidfile="$STATE/cloudflared.pid"
[ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && { cat "$pidfile"; exit 0; }
exit 1`,
    );
    this.script('colima', `[ "$1" = list ] || { echo "colima $1: not in the stand-in" >&2; exit 1; }\nif [ -f "$STATE/colima.stopped" ]; then sed 's/Running/Stopped/' "$STATE/colima-list.txt"; else cat "$STATE/colima-list.txt"; fi`);
    this.script('mount', `if [ -f "$STATE/ssd.unmounted" ]; then grep -v ManaData "$STATE/mount.txt"; else cat "$STATE/mount.txt"; fi`);
    this.script('df', `cat "$STATE/df-k.txt"`);
    // docker compose, as the wrapper calls it: config --services, and up -d -- <service>, which creates the
    // service's container in the test dockerd (compose-services: "<service> <container>" per line).
    writeFileSync(join(this.monorepo, 'docker-compose.macmini.yml'), 'services: {}\n');
    writeFileSync(join(this.state, 'compose-services'), '');
    writeFileSync(join(this.state, 'build-mode'), 'ok');
    mkdirSync(join(this.monorepo, 'scripts', 'mac-mini'), { recursive: true });
    const build = join(this.monorepo, 'scripts', 'mac-mini', 'build-app.sh');
    writeFileSync(
      build,
      `#!/bin/bash
STATE='${this.state}'
trap 'echo "==> Restarting the monitoring containers it stopped"; exit 143' TERM
mode="$(cat "$STATE/build-mode")"
echo "==> Colima VM: 4.1 GB free, monitoring containers stay up"
for app in "$@"; do
  echo "==> Building $app"
  for i in 1 2 3 4 5 6; do
    echo "#$((i + 4)) [builder $i/6] RUN step $i of $app"
    if [ "$mode" = hold ] && [ "$i" = 3 ]; then while [ ! -f "$STATE/build-go" ]; do sleep 0.1; done; fi
    if [ "$mode" = fail ] && [ "$i" = 4 ]; then
      echo '#8 ERROR: process "/bin/sh -c pnpm build" did not complete successfully: exit code: 1' >&2
      echo 'ERROR: failed to solve: process "/bin/sh -c pnpm build" did not complete successfully: exit code: 1' >&2
      exit 1
    fi
  done
  container="$(grep "^$app " "$STATE/compose-services" | cut -d' ' -f2)"
  DOCKER_HOST='unix://${this.docker?.socket ?? '/nonexistent'}' /usr/bin/docker restart "$container" >/dev/null
  echo " ✔ Container $container  Started"
done
echo "==> Done"
`,
    );
    chmodSync(build, 0o755);
    this.script(
      'docker',
      `[ "$1" = compose ] || { echo "docker $1: not in the stand-in" >&2; exit 1; }
shift
[ "$1" = -f ] && shift 2
case "$1" in
  config) cut -d' ' -f1 "$STATE/compose-services" ;;
  up)
    svc="\${@: -1}"
    container="$(grep "^$svc " "$STATE/compose-services" | cut -d' ' -f2)"
    if [ -f "$STATE/compose-broken" ]; then echo "Error response from daemon: pull access denied for mana-$svc, repository does not exist" >&2; exit 1; fi
    echo "[+] Running 1/1"
    DOCKER_HOST='unix://${this.docker?.socket ?? '/nonexistent'}' /usr/bin/docker run -d --name "$container" --network none --init '${this.docker?.image ?? 'none'}' sh -c "trap 'exit 0' TERM; while true; do sleep 1; done" >/dev/null || exit 1
    echo " ✔ Container $container  Started"
    ;;
  *) echo "docker compose $1: not in the stand-in" >&2; exit 1 ;;
esac`,
    );
    this.script('uptime', `cat "$STATE/uptime.txt"`);
  }

  start(): Promise<Sshd> {
    return this.sshd.start();
  }

  /** cloudflared's LaunchAgent job: running (a fresh process) or not; `broken`: start does nothing. */
  cloudflared(running: boolean, options: { broken?: boolean } = {}): void {
    const broken = join(this.state, 'cloudflared.broken');
    if (options.broken) writeFileSync(broken, '');
    else rmSync(broken, { force: true });
    this.kill();
    // As launchctl start does it (the stand-in leaves a sleep running as cloudflared).
    if (running) execFileSync(join(this.bin, 'launchctl'), ['start', 'com.cloudflare.cloudflared'], { stdio: 'ignore' });
  }

  /**
   * build-app.sh as the handbook describes it (checks the VM's free memory, builds each app, starts what it
   * stopped again from its trap), with BuildKit's plain progress lines. `mode`: ok, fail (at step 4 of the first
   * app) or hold (waits at step 3 until released, for a cancel or a second deploy).
   */
  buildMode(mode: 'ok' | 'fail' | 'hold'): void {
    writeFileSync(join(this.state, 'build-mode'), mode);
    rmSync(join(this.state, 'build-go'), { force: true });
  }

  /** A held build goes on. */
  releaseBuild(): void {
    writeFileSync(join(this.state, 'build-go'), '');
  }

  /** A service of the estate's compose file, and the container `up` creates for it. */
  composeService(service: string, container: string): void {
    appendFileSync(join(this.state, 'compose-services'), `${service} ${container}\n`);
  }

  /** compose up fails (an image that cannot be pulled). */
  composeBroken(broken: boolean): void {
    const flag = join(this.state, 'compose-broken');
    if (broken) writeFileSync(flag, '');
    else rmSync(flag, { force: true });
  }

  /** A LaunchAgent that `launchctl list` no longer shows (unloaded). */
  unload(label: string): void {
    appendFileSync(join(this.state, 'unloaded'), `${label}\n`);
  }

  get cloudflaredPid(): number | undefined {
    const file = join(this.state, 'cloudflared.pid');
    return existsSync(file) ? Number(readFileSync(file, 'utf8')) : undefined;
  }

  colima(running: boolean): void {
    const flag = join(this.state, 'colima.stopped');
    if (running) rmSync(flag, { force: true });
    else writeFileSync(flag, '');
  }

  ssdMounted(mounted: boolean): void {
    const flag = join(this.state, 'ssd.unmounted');
    if (mounted) rmSync(flag, { force: true });
    else writeFileSync(flag, '');
  }

  /** A dump in the backups folder, `ageMs` old, of `bytes`. */
  dump(name: string, ageMs: number, bytes: number): void {
    const path = join(this.backups, name);
    writeFileSync(path, Buffer.alloc(bytes));
    const t = (Date.now() - ageMs) / 1000;
    utimesSync(path, t, t);
  }

  clearDumps(): void {
    rmSync(this.backups, { recursive: true, force: true });
    mkdirSync(this.backups, { recursive: true });
  }

  private kill(): void {
    const pid = this.cloudflaredPid;
    if (pid) {
      try {
        process.kill(pid);
      } catch {
        // already gone
      }
    }
    rmSync(join(this.state, 'cloudflared.pid'), { force: true });
  }

  async stop(): Promise<void> {
    this.kill();
    await this.sshd.dispose();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
