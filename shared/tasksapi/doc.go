// Package tasksapi is the HTTP API of the tasks function: tasks (create,
// decompose, assign, move, status, progress, dependencies, bulk update),
// work logs, comments, baselines, the project lead's view and the staff
// member's own view, described by the OpenAPI document openapi.json.
//
// It shares storage and sign-in with package projects: a request loads the
// plan through projects.Store, applies one change of package plan under the
// expected version of the task, writes back the row that changed (a lost
// race is a 409 with the current task), and then the derived rows: the
// user_task mirror that serves "my tasks", the activity trail, the
// project's portfolio summary and the notices of shared/outbox.
package tasksapi
