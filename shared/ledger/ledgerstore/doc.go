// Package ledgerstore holds the production drivers of the ledger: a
// [ledger.Sequencer] over Tablestore (package tables) and a
// [ledger.ObjectStore] over OSS (package blob).
//
// Sequencing. Entries are written as batch rows of the LedgerEntry table,
// keyed by the batch's first index and created with EXPECT_NOT_EXIST. A row
// may only be created at a chain position: 0, or the index just past an
// existing batch row. Since each position is taken by exactly one create,
// batches are contiguous, never overlap and never leave a gap, whatever the
// number of writers and processes. The log's LedgerSeq row keeps a hint of
// the chain's end ("next": a chain position, usually the start of the
// latest row, only ever raised, in the same BatchWriteRow as the row) and
// the integrated tree state (size and root), updated with an optimistic ver
// check. A writer that finds its position taken moves on to the next chain
// position.
//
// Concurrent calls in one process share batch rows (group commit; under load
// a leader waits up to 5 ms for a full batch, while callers keep coming
// within 2 ms of each other). Each row
// lists its writers' tokens, so a writer tells its own earlier attempt (an
// SDK retry, a crash) from a rival's. [Sequencer.AssignOnce] builds
// exactly-once assignment on that: the caller's [Intent] durably records the
// row position before the row is written there, and a rerun, or a
// concurrent duplicate in another process, looks at that position first.
//
// Batch rows stay after integration (the integrator may read any index);
// the tiles and bundles in OSS are the published copy. Rows never change
// once written, so a Sequencer keeps the rows it wrote lately in memory and
// Sequenced takes them from there; it reads the bundle partitions it still
// needs a few at a time, concurrently. SetState checks the ver of the
// LedgerSeq row that the Sequencer saw with the old state, without reading
// the row again.
//
// Objects. Tiles and entry bundles are written with forbid-overwrite; an
// existing byte-identical object counts as written, a different one is a
// conflict. The checkpoint is overwritten; the LedgerSeq row records the
// latest one too ("pub", "cp"), raised with a condition that never lowers
// it, so that racing publishers leave the largest (see
// [ledger.Sequencer]).
package ledgerstore
