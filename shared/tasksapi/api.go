package tasksapi

import (
	"time"

	"github.com/xietong/xietong/shared/plan"
)

// Task is a task as the API shows it. Users are uids ("corp:userid"); dates
// are YYYY-MM-DD or absent; Progress is the reported percent and Rollup the
// fraction done rolled up from subtasks (see plan.Rollup).
type Task struct {
	ID          string     `json:"id"`
	Parent      string     `json:"parent,omitempty"`
	Milestone   string     `json:"milestone,omitempty"`
	Title       string     `json:"title"`
	Description string     `json:"description,omitempty"`
	Assignees   []string   `json:"assignees"`
	Priority    string     `json:"priority"`
	Estimate    int64      `json:"estimate"`
	Start       string     `json:"start,omitempty"`
	Due         string     `json:"due,omitempty"`
	After       []string   `json:"after"`
	Status      string     `json:"status"`
	Progress    int        `json:"progress"`
	Rollup      float64    `json:"rollup"`
	StartedAt   *time.Time `json:"startedAt,omitempty"`
	FinishedAt  *time.Time `json:"finishedAt,omitempty"`
	CreatedBy   string     `json:"createdBy"`
	CreatedAt   time.Time  `json:"createdAt"`
	Ver         int64      `json:"ver"`
	Children    []string   `json:"children"`
	// Moves are the statuses the caller may move the task to now.
	Moves []string `json:"moves"`
}

// TreeNode is a task with its subtasks, for GET .../tasks?view=tree.
type TreeNode struct {
	Task
	Subtasks []TreeNode `json:"subtasks"`
}

// TaskList answers GET .../tasks; Next is the opaque cursor of the
// following page, absent on the last.
type TaskList struct {
	Items []Task     `json:"items,omitempty"`
	Tree  []TreeNode `json:"tree,omitempty"`
	// Progress is the project's rolled-up progress, 0..1.
	Progress float64 `json:"progress"`
	Next     string  `json:"next,omitempty"`
}

// CreateRequest is the body of POST .../tasks; Parent makes a subtask.
type CreateRequest struct {
	Parent      string   `json:"parent,omitempty"`
	Milestone   string   `json:"milestone,omitempty"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Assignees   []string `json:"assignees,omitempty"`
	Priority    string   `json:"priority,omitempty"`
	Estimate    int64    `json:"estimate,omitempty"`
	Start       string   `json:"start,omitempty"`
	Due         string   `json:"due,omitempty"`
	After       []string `json:"after,omitempty"`
}

// UpdateRequest is the body of PATCH of a task: the expected version and
// the fields to change (absent fields stay).
type UpdateRequest struct {
	Ver         int64   `json:"ver"`
	Title       *string `json:"title,omitempty"`
	Description *string `json:"description,omitempty"`
	Priority    *string `json:"priority,omitempty"`
	Estimate    *int64  `json:"estimate,omitempty"`
	Start       *string `json:"start,omitempty"`
	Due         *string `json:"due,omitempty"`
	Milestone   *string `json:"milestone,omitempty"`
}

// AssignRequest replaces a task's assignees.
type AssignRequest struct {
	Ver       int64    `json:"ver"`
	Assignees []string `json:"assignees"`
}

// MoveRequest moves a task under a new parent ("" for the top level)
// and/or to a milestone ("" to inherit the parent's).
type MoveRequest struct {
	Ver       int64   `json:"ver"`
	Parent    *string `json:"parent,omitempty"`
	Milestone *string `json:"milestone,omitempty"`
}

// StatusRequest moves a task through the workflow.
type StatusRequest struct {
	Ver    int64  `json:"ver"`
	Status string `json:"status"`
}

// ProgressRequest reports a task's percent done.
type ProgressRequest struct {
	Ver      int64 `json:"ver"`
	Progress *int  `json:"progress"`
}

// DependencyRequest makes the task start only after task After finishes.
type DependencyRequest struct {
	Ver   int64  `json:"ver"`
	After string `json:"after"`
}

// BulkRequest is several task updates, each with its own expected version;
// each succeeds or fails alone.
type BulkRequest struct {
	Items []BulkItem `json:"items"`
}

// BulkItem is one update of a bulk request; absent fields stay.
type BulkItem struct {
	Task      string    `json:"task"`
	Ver       int64     `json:"ver"`
	Status    *string   `json:"status,omitempty"`
	Progress  *int      `json:"progress,omitempty"`
	Assignees *[]string `json:"assignees,omitempty"`
	Priority  *string   `json:"priority,omitempty"`
	Start     *string   `json:"start,omitempty"`
	Due       *string   `json:"due,omitempty"`
	Title     *string   `json:"title,omitempty"`
}

// BulkResult is the outcome of one bulk item: the HTTP status it would have
// had alone, and the task or the error.
type BulkResult struct {
	Task   string     `json:"task"`
	Status int        `json:"status"`
	Result *Task      `json:"result,omitempty"`
	Error  *ErrorInfo `json:"error,omitempty"`
}

// ErrorInfo is the error of a bulk item, shaped like runtime.ErrorInfo.
type ErrorInfo struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

// BulkResponse answers POST .../bulk, one result per item in order.
type BulkResponse struct {
	Results []BulkResult `json:"results"`
}

// WorkLogRequest records time spent on the task of the path. User is the
// uid of who did the work; absent means the caller. Only the lead may log
// for someone else, and the log then records the lead as loggedBy.
type WorkLogRequest struct {
	User    string `json:"user,omitempty"`
	Minutes int64  `json:"minutes"`
	Date    string `json:"date"`
	Note    string `json:"note,omitempty"`
}

// WorkLog is a work log; OnBehalf is true when it was logged by someone
// other than the worker.
type WorkLog struct {
	ID       string    `json:"id"`
	Corp     string    `json:"corp,omitempty"`
	Project  string    `json:"project,omitempty"`
	ProjName string    `json:"projectName,omitempty"`
	Task     string    `json:"task"`
	User     string    `json:"user"`
	Minutes  int64     `json:"minutes"`
	Date     string    `json:"date"`
	Note     string    `json:"note,omitempty"`
	LoggedBy string    `json:"loggedBy"`
	OnBehalf bool      `json:"onBehalf"`
	At       time.Time `json:"at"`
}

func workLogJSON(w plan.WorkLog) WorkLog {
	return WorkLog{ID: w.ID, Task: w.Task, User: w.User, Minutes: w.Minutes,
		Date: w.Date.String(), Note: w.Note, LoggedBy: w.LoggedBy,
		OnBehalf: w.LoggedBy != w.User, At: w.At.UTC()}
}

// CommentRequest is the body of POST .../comments.
type CommentRequest struct {
	Body string `json:"body"`
}

// Comment is a comment on a task.
type Comment struct {
	ID     string    `json:"id"`
	Target string    `json:"target"`
	Author string    `json:"author"`
	Body   string    `json:"body"`
	At     time.Time `json:"at"`
}

func commentJSON(c plan.Comment) Comment {
	return Comment{ID: c.ID, Target: c.Target, Author: c.Author, Body: c.Body, At: c.At.UTC()}
}

// BaselineRequest is the body of POST .../baselines.
type BaselineRequest struct {
	Name string `json:"name"`
}

// Baseline describes a saved baseline.
type Baseline struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	SavedBy    string `json:"savedBy"`
	SavedOn    string `json:"savedOn"`
	Tasks      int    `json:"tasks"`
	Milestones int    `json:"milestones"`
}

func baselineJSON(b plan.Baseline) Baseline {
	return Baseline{ID: b.ID, Name: b.Name, SavedBy: b.SavedBy, SavedOn: b.SavedAt.String(),
		Tasks: len(b.Tasks), Milestones: len(b.Milestones)}
}

// Variance is planned versus actual for one task or milestone against a
// baseline (see plan.Variance): day variances are positive when late.
type Variance struct {
	Kind          string `json:"kind"`
	ID            string `json:"id"`
	Title         string `json:"title"`
	Added         bool   `json:"added"`
	PlannedStart  string `json:"plannedStart,omitempty"`
	ActualStart   string `json:"actualStart,omitempty"`
	StartDays     int    `json:"startDays"`
	PlannedFinish string `json:"plannedFinish,omitempty"`
	ActualFinish  string `json:"actualFinish,omitempty"`
	Forecast      bool   `json:"forecast"`
	FinishDays    int    `json:"finishDays"`
	PlannedEffort int64  `json:"plannedEffort"`
	ActualEffort  int64  `json:"actualEffort"`
	EffortDelta   int64  `json:"effortDelta"`
}

func varianceJSON(vs []plan.Variance) []Variance {
	out := make([]Variance, len(vs))
	for i, v := range vs {
		out[i] = Variance{Kind: v.Kind, ID: v.ID, Title: v.Title, Added: v.Added,
			PlannedStart: v.PlannedStart.String(), ActualStart: v.ActualStart.String(),
			StartDays: v.StartDays, PlannedFinish: v.PlannedFinish.String(),
			ActualFinish: v.ActualFinish.String(), Forecast: v.Forecast,
			FinishDays: v.FinishDays, PlannedEffort: v.PlannedEffort,
			ActualEffort: v.ActualEffort, EffortDelta: v.EffortDelta}
	}
	return out
}

// VarianceResponse answers GET .../baselines/{baseline}/variance.
type VarianceResponse struct {
	Baseline Baseline   `json:"baseline"`
	Items    []Variance `json:"items"`
}
