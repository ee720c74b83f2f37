// Package witness implements C2SP tlog-witness for xietong's ledger: a
// [Witness] that checks a log's checkpoints for consistency with the last one
// it saw and cosigns them (cosignature/v1, Ed25519), served over HTTP at
// POST /add-checkpoint; a [Client] a log uses to reach one; and a [Policy]
// that says when enough witnesses have cosigned for a checkpoint to count as
// published.
package witness
