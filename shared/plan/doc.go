// Package plan is the project-management domain of xietong: organizations,
// projects shared between an owning organization and its partners, members
// and their project roles, milestones with acceptance, tasks decomposed to any
// depth with finish-to-start dependencies, a status workflow, work logs,
// comments, critical path, baselines and the computations behind each role's
// view.
//
// Everything is in memory and free of storage and HTTP. A Plan holds one
// project. Every mutation takes an Actor (who, when), checks the input and
// the actor's project role, and on success returns the Activity records it
// implies, so that storage can persist the new state and its trail together.
// A refused mutation changes nothing and returns an *Error that wraps one of
// the sentinel errors (ErrInvalid, ErrForbidden, ErrCycle, ...).
//
// User ids are unique across organizations (the DingTalk unionId); corp ids
// name organizations. Plans are not safe for concurrent use: storage loads
// one, applies a change and saves it under an expected version.
package plan
