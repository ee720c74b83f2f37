// Package envelope defines the records xietong writes to its ledger: typed
// envelopes (contract versions, milestone acceptances, supplier evaluations,
// IP registrations, data-asset uses, revenue settlements, payment releases,
// IP priority decisions, consent grants for personal data assets and their
// revocations) in a canonical JSON encoding, signed with Ed25519 by
// the submitting organization or by the service on a member's behalf.
//
// Envelopes carry digests of documents and salted commitments of personal
// data, never the data: [Commit] returns a commitment and the salt the owner
// keeps, and [Open] later checks what was committed.
package envelope
