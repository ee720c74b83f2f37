// Package reports is the reports function of xietong: the daily, weekly and
// monthly reports that come to people in DingTalk, with PNG charts.
//
//   - daily, per person: tasks due today, overdue, blocked, and tasks in
//     review waiting on them as lead;
//   - weekly, per project lead and per department manager: progress against
//     plan and baseline, milestones at risk with a projected finish from
//     the critical path and the recent velocity, overdue tasks, hours
//     logged per member, supplier deliverables due; and per open project
//     with a group chat (chat_id on the project row), the project's part
//     to that chat as an outbox.KindChat message;
//   - monthly, per executive: the portfolio by status, department and
//     budget band, budgets against contract amounts, projects started and
//     finished, and supplier performance from the ledger's evaluations
//     (count, average and lowest score, links to the entries).
//
// A run (Service.Run, behind the timers and POST
// /api/reports/{corp}/{kind}) reads the organization's rows in one range
// read per table, every project at once (members, milestones and the group
// chat come with the project rows, from the roster that shared/projects
// keeps there; a project without a current roster costs its member and
// milestone rows), rebuilds the plans, and writes one Report per recipient:
// its PNG charts and its content in OSS (charts are
// linked by presigned URLs valid for Config.LinkTTL, 7 days by default), a
// snapshot row in the report table (GET /api/reports/{corp}/snapshots/{id}
// returns the content exactly as sent), and a notification in the outbox
// with DedupeKey "<corp>/report/<kind>/<period>/<audience>:<uid>".
//
// A progress row per run (organization, kind and period) holds a cursor in
// recipient order: a run near its context's deadline saves the cursor and
// returns ErrResume, the next invocation continues after it, and a period
// already finished is not run again. Every step is idempotent and keeps
// what an earlier attempt stored, so a run retried from an older cursor
// sends nobody twice, and the content stored first is the one sent.
package reports
