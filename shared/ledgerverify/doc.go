// Package ledgerverify checks, fully offline, what the xietong ledger hands
// out: receipts (c2sp.org/tlog-proof, as GET /api/ledger/receipts/{i}
// serves them) against the entry bytes (GET /api/ledger/entries/{i}),
// checkpoints with their witness cosignatures, and consistency between two
// checkpoints; and it replays a whole log (ReplayLog, from a directory or
// the function's URL), recomputing every contract result with package
// rules. It is the logic of the ledger-verify command.
//
// The decision is always ledger.VerifyReceipt's, ledger.OpenCheckpoint's or
// ledger.VerifyConsistency's; this package adds the diagnosis. A failed
// check returns an *Error whose Failure names what failed (a tampered
// entry, a bad proof, the wrong log key, another origin, a missing witness
// quorum, ...) and whose message says why, in terms a person can act on.
package ledgerverify
