// An in-memory storage adapter for oidc-provider that, unlike its LRU-bound
// memory adapter, never evicts anything during a test and can find every
// artefact of an account (so the admin API can revoke an account's grants).

const grantable = new Set([
  'AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode',
  'BackchannelAuthenticationRequest', 'Grant',
]);

export class Store {
  constructor() {
    this.entries = new Map(); // "Model:id" -> {payload, expiresAt}
  }

  get(model, id) {
    const entry = this.entries.get(`${model}:${id}`);
    if (!entry) return undefined;
    if (entry.expiresAt && entry.expiresAt <= Date.now()) {
      this.entries.delete(`${model}:${id}`);
      return undefined;
    }
    return entry.payload;
  }

  set(model, id, payload, expiresIn) {
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : undefined;
    this.entries.set(`${model}:${id}`, { payload, expiresAt });
  }

  delete(model, id) {
    this.entries.delete(`${model}:${id}`);
  }

  find(model, predicate) {
    for (const [key, { payload }] of this.entries) {
      if (key.startsWith(`${model}:`) && predicate(payload)) return payload;
    }
    return undefined;
  }

  revokeByGrantId(grantId) {
    for (const [key, { payload }] of this.entries) {
      const model = key.slice(0, key.indexOf(':'));
      if (grantable.has(model) && (payload.grantId === grantId || (model === 'Grant' && payload.jti === grantId))) {
        this.entries.delete(key);
      }
    }
  }

  // revokeAccount drops the account's grants (optionally only toward one
  // client) and every token issued under them; it returns how many grants went.
  revokeAccount(accountId, clientId) {
    const grants = [];
    for (const [key, { payload }] of this.entries) {
      if (key.startsWith('Grant:') && payload.accountId === accountId
        && (!clientId || payload.clientId === clientId)) {
        grants.push(payload.jti);
      }
    }
    grants.forEach((id) => this.revokeByGrantId(id));
    return grants.length;
  }
}

export function storeAdapter(store) {
  return (model) => ({
    async upsert(id, payload, expiresIn) { store.set(model, id, payload, expiresIn); },
    async find(id) { return store.get(model, id); },
    async findByUid(uid) { return store.find(model, (p) => p.uid === uid); },
    async findByUserCode(code) { return store.find(model, (p) => p.userCode === code); },
    async consume(id) {
      const payload = store.get(model, id);
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    },
    async destroy(id) { store.delete(model, id); },
    async revokeByGrantId(grantId) { store.revokeByGrantId(grantId); },
  });
}
