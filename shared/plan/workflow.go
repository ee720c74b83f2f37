package plan

// transitions is the status workflow: for every ordered pair of distinct
// statuses, the scope in which each role may make that change, by role in
// Roles order (lead, member, supplier, viewer). Own means on tasks the actor
// is assigned to. The lead may make any change; viewers none; suppliers move
// their own work forward to review (or back, or to blocked) but never to
// done; members do the same and also pass or return any task in review.
//
// Independently of the table, a task may not move to done while it has open
// subtasks, and may not leave todo or blocked for doing or review while one
// of its predecessors (or one of its ancestors' predecessors) is open.
var transitions = map[[2]Status][4]Scope{
	{Todo, Doing}:     {Any, Own, Own, None},
	{Todo, Review}:    {Any, None, None, None},
	{Todo, Done}:      {Any, None, None, None},
	{Todo, Blocked}:   {Any, Own, Own, None},
	{Todo, Cancelled}: {Any, None, None, None},

	{Doing, Todo}:      {Any, Own, Own, None},
	{Doing, Review}:    {Any, Own, Own, None},
	{Doing, Done}:      {Any, None, None, None},
	{Doing, Blocked}:   {Any, Own, Own, None},
	{Doing, Cancelled}: {Any, None, None, None},

	{Review, Todo}:      {Any, None, None, None},
	{Review, Doing}:     {Any, Any, Own, None},
	{Review, Done}:      {Any, Any, None, None},
	{Review, Blocked}:   {Any, None, None, None},
	{Review, Cancelled}: {Any, None, None, None},

	{Done, Todo}:      {Any, None, None, None},
	{Done, Doing}:     {Any, None, None, None},
	{Done, Review}:    {Any, None, None, None},
	{Done, Blocked}:   {Any, None, None, None},
	{Done, Cancelled}: {Any, None, None, None},

	{Blocked, Todo}:      {Any, Own, Own, None},
	{Blocked, Doing}:     {Any, Own, Own, None},
	{Blocked, Review}:    {Any, None, None, None},
	{Blocked, Done}:      {Any, None, None, None},
	{Blocked, Cancelled}: {Any, None, None, None},

	{Cancelled, Todo}:    {Any, None, None, None},
	{Cancelled, Doing}:   {Any, None, None, None},
	{Cancelled, Review}:  {Any, None, None, None},
	{Cancelled, Done}:    {Any, None, None, None},
	{Cancelled, Blocked}: {Any, None, None, None},
}

// CanTransition reports whether role r may move a task from one status to
// another; own says whether the actor is assigned to the task. The table
// (see workflow.go) lets the lead make any change and viewers none; suppliers
// move their own work forward to review, back, or to blocked, never to done;
// members do the same and also pass or return any task in review. It consults
// only the table, not the readiness rules.
func CanTransition(r Role, from, to Status, own bool) bool {
	i := roleColumn(r)
	row, ok := transitions[[2]Status{from, to}]
	if i < 0 || !ok {
		return false
	}
	return row[i] == Any || row[i] == Own && own
}

// Moves lists the statuses that role r may move a task in status from to,
// in Statuses order; own says whether the actor is assigned to the task.
// A client shows these as the available actions.
func Moves(r Role, from Status, own bool) []Status {
	var out []Status
	for _, to := range Statuses {
		if to != from && CanTransition(r, from, to, own) {
			out = append(out, to)
		}
	}
	return out
}
