package ids

// Prefix of a passkey (WebAuthn credential) record.
const Passkey = "pk"
