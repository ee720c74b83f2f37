package tables

// This file is the one list of xietong's tables. Key conventions:
//
//   - tid is TenantKey(corp): the salted tenant key leads every tenant table.
//   - uid is "corp:userid", a user's identity across organizations; uidh is
//     SaltedKey(uid) where a per-user key must lead.
//   - ids are client-generated, time-sortable strings (ULID-like), so string
//     order is creation order; numbers inside string keys are zero-padded.
//   - every mutable row carries ver (Integer) for optimistic concurrency,
//     written by Store.Create and Store.Update.
//
// Changing a key, a TTL or an index here is a migration: run `make tables`
// (which reports the drift) and `go run ./infra/tables terraform`.

const day = 86400

func str(name string) PKColumn { return PKColumn{Name: name, Type: String} }
func num(name string) PKColumn { return PKColumn{Name: name, Type: Integer} }

// Org holds one DingTalk organization (corp): name, plan, credentials
// reference, protection policy, ver.
var Org = Table{
	Name:        "org",
	Doc:         "one DingTalk organization (corp) and its settings",
	PrimaryKey:  []PKColumn{str("tid")},
	TTL:         Forever,
	MaxVersions: 1,
}

// Dept holds the department tree of an organization: name, parent_id,
// order, manager uids, ver.
var Dept = Table{
	Name:        "dept",
	Doc:         "departments of an organization (tree via parent_id)",
	PrimaryKey:  []PKColumn{str("tid"), str("dept_id")},
	TTL:         Forever,
	MaxVersions: 1,
}

// User holds the directory: one row per user of an organization, with
// departments, position, roles, manager flag, external-contact kind, status
// (active or left; leaving users are deactivated, not deleted), protected
// mobile number and ver. The user_by_unionid index maps DingTalk's
// cross-organization unionid to the corp-scoped user rows.
var User = Table{
	Name:       "user",
	Doc:        "directory users per organization (status, roles, departments)",
	PrimaryKey: []PKColumn{str("tid"), str("user_id")},
	Defined:    []Column{{Name: "unionid", Type: String}, {Name: "status", Type: String}},
	Indexes: []Index{{Name: "user_by_unionid", PrimaryKey: []string{"unionid"},
		Defined: []string{"status"}}},
	TTL:         Forever,
	MaxVersions: 1,
}

// Member holds project membership: the owning organization's tid, the
// project, and the member's uid (which may belong to a partner organization),
// with role (lead, member, viewer, supplier), status and ver. The
// member_by_user index lists a user's projects across organizations.
var Member = Table{
	Name:       "member",
	Doc:        "project membership, including partner and supplier members",
	PrimaryKey: []PKColumn{str("tid"), str("project_id"), str("uid")},
	Defined:    []Column{{Name: "uidh", Type: String}, {Name: "role", Type: String}},
	Indexes: []Index{{Name: "member_by_user", PrimaryKey: []string{"uidh"},
		Defined: []string{"role"}}},
	TTL:         Forever,
	MaxVersions: 1,
}

// Project holds one project owned by an organization: name, status, owner,
// department, budget, dates, partner organizations, rolled-up progress,
// next_task_no and ver.
var Project = Table{
	Name:        "project",
	Doc:         "projects owned by an organization",
	PrimaryKey:  []PKColumn{str("tid"), str("project_id")},
	TTL:         Forever,
	MaxVersions: 1,
}

// Milestone holds the milestones of a project: title, due date, acceptance,
// status, progress and ver.
var Milestone = Table{
	Name:        "milestone",
	Doc:         "milestones of a project",
	PrimaryKey:  []PKColumn{str("tid"), str("project_id"), str("milestone_id")},
	TTL:         Forever,
	MaxVersions: 1,
}

// Task holds the tasks of a project (subtasks name their parent): title,
// status, assignee uid, priority, estimate, due date, dependencies, progress,
// human number and ver.
var Task = Table{
	Name:        "task",
	Doc:         "tasks and subtasks of a project",
	PrimaryKey:  []PKColumn{str("tid"), str("project_id"), str("task_id")},
	TTL:         Forever,
	MaxVersions: 1,
}

// UserTask is the "my tasks" list: one row per task assigned to a user,
// under the user's own organization, sorted by sort_key (status, zero-padded
// due date, task id); task_ref is "tid/project_id/task_id" and task_ver lets
// readers drop stale copies. It is written after the task row and repaired by
// a reconciler.
var UserTask = Table{
	Name:        "user_task",
	Doc:         "per-user task list, a repairable mirror of task",
	PrimaryKey:  []PKColumn{str("tid"), str("user_id"), str("sort_key"), str("task_ref")},
	TTL:         Forever,
	MaxVersions: 1,
}

// Worklog holds time spent on a task: minutes, note, the worker's uid and the
// work day (YYYY-MM-DD). The worklog_by_user index serves "my work logs by
// week" across projects and organizations.
var Worklog = Table{
	Name:        "worklog",
	Doc:         "work logs per task; indexed by worker and day",
	PrimaryKey:  []PKColumn{str("tid"), str("task_id"), str("log_id")},
	Defined:     []Column{{Name: "uid", Type: String}, {Name: "day", Type: String}},
	Indexes:     []Index{{Name: "worklog_by_user", PrimaryKey: []string{"uid", "day"}}},
	TTL:         Forever,
	MaxVersions: 1,
}

// Comment holds the comments of a task: author uid, body, time and ver.
var Comment = Table{
	Name:        "comment",
	Doc:         "comments on tasks",
	PrimaryKey:  []PKColumn{str("tid"), str("task_id"), str("comment_id")},
	TTL:         Forever,
	MaxVersions: 1,
}

// Activity is a tenant's trail of every change (actor, verb, object, time);
// seq is assigned by Tablestore (auto-increment) and doubles as the cursor.
// Terraform cannot declare auto-increment keys, so `make tables` creates it.
var Activity = Table{
	Name: "activity",
	Doc:  "per-tenant ordered trail of changes",
	PrimaryKey: []PKColumn{str("tid"),
		{Name: "seq", Type: Integer, AutoIncrement: true}},
	TTL:         Forever,
	MaxVersions: 1,
}

// Idem holds idempotency keys of API writes (Store.Claim): request hash,
// state, stored response and expiry. Keys live a week.
var Idem = Table{
	Name:        "idem",
	Doc:         "idempotency keys of API writes",
	PrimaryKey:  []PKColumn{str("tid"), str("key")},
	TTL:         7 * day,
	MaxVersions: 1,
}

// Dedupe holds one row per DingTalk callback event already applied (claimed
// with Store.Claim), so redeliveries and the failed-event list never apply
// twice. Rows live a week.
var Dedupe = Table{
	Name:        "dedupe",
	Doc:         "DingTalk callback events already applied",
	PrimaryKey:  []PKColumn{str("tid"), str("event_id")},
	TTL:         7 * day,
	MaxVersions: 1,
}

// Outbox holds notifications waiting for the notify function, and durable
// work queued by any function (ledger record requests, slow callback work):
// kind, recipient, payload, content hash, state, attempts, due time, result.
var Outbox = Table{
	Name:        "outbox",
	Doc:         "notification and work outbox drained by notify",
	PrimaryKey:  []PKColumn{str("tid"), str("msg_id")},
	TTL:         Forever,
	MaxVersions: 1,
}

// Contract holds one contract of a project: parties, amount in fen,
// currency, linked milestones, status, latest version number and ver.
var Contract = Table{
	Name:       "contract",
	Doc:        "contracts of a project; indexed by project",
	PrimaryKey: []PKColumn{str("tid"), str("contract_id")},
	Defined:    []Column{{Name: "project_id", Type: String}},
	Indexes: []Index{{Name: "contract_by_project",
		PrimaryKey: []string{"tid", "project_id"}}},
	TTL:         Forever,
	MaxVersions: 1,
}

// ContractVersion holds each verified upload of a contract: OSS key, size,
// content type, SHA-256, uploader, time and ledger index. Rows are created
// once and never overwritten.
var ContractVersion = Table{
	Name:        "contract_version",
	Doc:         "immutable verified versions of a contract file",
	PrimaryKey:  []PKColumn{str("tid"), str("contract_id"), num("version")},
	TTL:         Forever,
	MaxVersions: 1,
}

// ContractUpload holds one row per upload grant of a contract file: granted
// key, size range, content type, uploader and expiry, then the status the OSS
// trigger moves it through (granted, recording, recorded or quarantined), the
// refusal reason, the version it became, and ver.
var ContractUpload = Table{
	Name:        "contract_upload",
	Doc:         "upload grants of contract files, consumed once when the file lands",
	PrimaryKey:  []PKColumn{str("tid"), str("upload_id")},
	TTL:         Forever,
	MaxVersions: 1,
}

// Approval holds the DingTalk OA approvals of domain objects: per object
// (ref "obj/<kind>/<id>") the current instance, process code, outcome
// (starting, running, approved, rejected, terminated, start_failed) and ver;
// per instance (ref "inst/<instanceId>") the object it decides.
var Approval = Table{
	Name:        "approval",
	Doc:         "OA approval instances of domain objects and their outcomes",
	PrimaryKey:  []PKColumn{str("tid"), str("ref")},
	TTL:         Forever,
	MaxVersions: 1,
}

// LedgerSeq holds the sequencer state of a log (next index, integrated
// size, checkpoint) under SaltedKey(origin), updated with ver.
var LedgerSeq = Table{
	Name:        "ledger_seq",
	Doc:         "sequencer state of each verifiable log",
	PrimaryKey:  []PKColumn{str("log")},
	TTL:         Forever,
	MaxVersions: 1,
}

// LedgerEntry holds sequenced entries by index. bundle is
// SaltedKey(origin + "/" + index/256), one partition per entry bundle, so
// appends spread over partitions and a bundle reads with one GetRange.
var LedgerEntry = Table{
	Name:        "ledger_entry",
	Doc:         "sequenced ledger entries grouped by entry bundle",
	PrimaryKey:  []PKColumn{str("bundle"), num("idx")},
	TTL:         Forever,
	MaxVersions: 1,
}

// LedgerIndex holds business indexes into the ledger per tenant (kind and
// key → entry index): contract versions, IP content hashes (first to file),
// consent grants, data-asset uses.
var LedgerIndex = Table{
	Name:        "ledger_index",
	Doc:         "business indexes into the ledger",
	PrimaryKey:  []PKColumn{str("tid"), str("kind"), str("key")},
	TTL:         Forever,
	MaxVersions: 1,
}

// Counter holds write-hot counters split into shards: name is
// SaltedKey(counter name), shard is 0..N-1, n is the count (Store.Increment).
var Counter = Table{
	Name:        "counter",
	Doc:         "sharded counters",
	PrimaryKey:  []PKColumn{str("name"), num("shard")},
	TTL:         Forever,
	MaxVersions: 1,
}

// Baseline holds the saved baselines of a project: name, saved_by (uid),
// saved_on (YYYY-MM-DD) and the saved tasks and milestones as JSON (tasks,
// milestones). Rows are written once (EXPECT_NOT_EXIST).
var Baseline = Table{
	Name:        "baseline",
	Doc:         "saved baselines (planned schedule and estimates) of a project",
	PrimaryKey:  []PKColumn{str("tid"), str("project_id"), str("baseline_id")},
	TTL:         Forever,
	MaxVersions: 1,
}

// Report holds, per organization, the snapshot rows of the reports as sent
// (ref "s/<kind>/<period>/<recipient hash>") and the progress rows of report
// runs (ref "r/<kind>/<period>"), so a run resumes and a past report is
// fetched again exactly as sent.
var Report = Table{
	Name:        "report",
	Doc:         "report snapshots as sent and per-run progress of the reports function",
	PrimaryKey:  []PKColumn{str("tid"), str("ref")},
	TTL:         Forever,
	MaxVersions: 1,
}

// NoticeBudget holds the notify function's DingTalk limits per organization:
// per-user daily notice counts (slot "c/<appKey>/<userid>/<day>": n, ver),
// content hashes sent today (slot "h/<appKey>/<userid>/<day>/<hash>") and
// robot windows (slot "r/<robot>/<window>": n, ver). Rows live three days.
var NoticeBudget = Table{
	Name:        "notice_budget",
	Doc:         "per-user daily notice budgets, content hashes sent and robot windows",
	PrimaryKey:  []PKColumn{str("tid"), str("slot")},
	TTL:         3 * day,
	MaxVersions: 1,
}

// Portfolio holds each organization's portfolio for the executive view in
// 16 shards (shard 0..15): per shard the summaries of the projects that hash
// to it (entries, JSON by project id), the day the shard was last rebuilt
// from the project rows (day, YYYY-MM-DD) and ver. Every project summary
// write updates its entry; a rebuild repairs what a failed write left.
var Portfolio = Table{
	Name:        "portfolio",
	Doc:         "per-organization project summaries for the executive view, in shards",
	PrimaryKey:  []PKColumn{str("tid"), num("shard")},
	TTL:         Forever,
	MaxVersions: 1,
}

// All lists every table of the app, in creation order.
var All = []Table{
	Org, Dept, User, Member, Project, Milestone, Task, UserTask, Worklog,
	Comment, Activity, Idem, Dedupe, Outbox, Contract, ContractVersion,
	ContractUpload, Approval, LedgerSeq, LedgerEntry, LedgerIndex, Counter,
	NoticeBudget, Baseline, Report, Portfolio,
}
