// Package ledgerbench holds the ledger's comparative benchmarks, for
// `make bench`; it has no code outside its tests, so no function binary
// links what they compare against (Tessera).
//
//	BenchmarkDurableAppends  appends/s from submit to covered by a published
//	                         checkpoint: xietong's log over the Tablestore and
//	                         OSS drivers against the in-process emulators
//	                         (bbolt file and directory in t.TempDir), over the
//	                         in-memory store, and Tessera v1.0.4's POSIX
//	                         driver in t.TempDir; same entries, batches,
//	                         writers; metrics ratio_vs_tessera (durable, goal
//	                         >= 1.0) and memory_ratio_vs_tessera
//	BenchmarkVerifyInclusion ns per inclusion proof verified at 2^20 entries:
//	                         ledgerverify against transparency-dev/merkle's
//	                         proof.VerifyInclusion; metric ratio (goal ≤ 1.0)
//
// Both take their own samples inside one iteration, since make bench runs
// -benchtime 1x.
package ledgerbench
