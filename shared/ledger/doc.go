// Package ledger is xietong's verifiable log: a C2SP tlog-tiles transparency log
// (RFC 6962 SHA-256 Merkle tree) whose checkpoints are signed notes.
//
// Entries are appended through a [Sequencer], which assigns contiguous indexes
// durably, and are integrated in batches: [Log.Integrate] writes entry bundles
// and hash tiles (full and partial) through an [ObjectStore] and then records
// the new tree size in the sequencer. Every object it writes is a pure function
// of the sequenced entries, so a run that stops between any two writes is
// completed by the next run and the log never forks. A run writes its
// objects concurrently (at most [MaxPuts] at once) and records the new size
// only after all are written; a Log keeps the right edge of the tree it
// built for its next run. [Log.Publish] signs a
// checkpoint for the integrated size, collects witness cosignatures and
// stores it.
//
// Proofs are computed from the tiles alone ([Reader]); receipts follow
// c2sp.org/tlog-proof and are verified offline with [VerifyReceipt].
//
// Storage stays behind two narrow interfaces with in-memory implementations
// here ([MemStore], [MemSequencer]); the Tablestore and OSS drivers are in
// package ledgerstore.
package ledger
