// Package projects is the projects function of xietong: sign-in (a DingTalk
// free-login auth code exchanged for a session), organizations, projects
// shared between an owning organization and its partners, members,
// milestones, and the executive and department-manager views, served as JSON
// over HTTP and described by the OpenAPI document embedded as openapi.json.
//
// The domain rules live in package plan and the authorization rules in
// package access; this package loads a plan from Tablestore, applies one
// change under an expected version, and writes back the rows that changed,
// the activity trail and the notifications the change implies.
//
// Store, the mapping of plans onto the project, member, milestone and task
// tables, is exported so that the tasks function shares it.
package projects
