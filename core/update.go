package core

// Apply runs one step of a store's read-modify-write: update applied to
// the current value cur, then check on the move from cur to the result.
// It returns the next value to write. Errors: update's, unchanged; check's
// (the domain's update rules answer Invalid for a field that may not
// change).
func Apply[T any](cur T, update func(T) (T, error), check func(cur, next T) error) (T, error) {
	next, err := update(cur)
	if err != nil {
		var zero T
		return zero, err
	}
	if err := check(cur, next); err != nil {
		var zero T
		return zero, err
	}
	return next, nil
}
