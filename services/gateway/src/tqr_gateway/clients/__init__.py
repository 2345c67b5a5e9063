"""One typed async wrapper per service; each call has a deadline and never swallows an error."""
