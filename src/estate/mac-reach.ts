import type { Catalog } from '../config/catalog';
import type { Estate } from '../config/schema';
import { OpsError, type MacHost } from '../ops/ports';

/** The Mac Mini and the bot's way to it (its wrapper over SSH), or what is missing: mac_host, or the key. */
export function reachMac(catalog: Catalog, mac: MacHost | undefined): { box: NonNullable<Estate['mac_host']>; mac: MacHost } | OpsError {
  const box = catalog.estate.mac_host;
  if (!box) return new OpsError('unreachable', 'the estate file has no mac_host, so the Mac Mini itself is out of reach', 'add mac_host (host, user, host_key_fingerprint) and set MAC_SSH_KEY_PATH (README, "The Mac host")');
  if (!mac) return new OpsError('unreachable', `the Mac Mini ${box.name} is in the estate file, but the bot has no SSH key for it`, 'set MAC_SSH_KEY_PATH to the key bound to mac/mana-ops-wrapper on the Mac (README, "The Mac host")');
  return { box, mac };
}

/** What keeps a command from reaching the Mac, asked before any confirmation; undefined when it can. */
export function macUnavailable(catalog: Catalog, mac: MacHost | undefined): OpsError | undefined {
  const reach = reachMac(catalog, mac);
  return reach instanceof OpsError ? reach : undefined;
}
