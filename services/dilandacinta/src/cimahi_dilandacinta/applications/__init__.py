"""Document applications: the officer workflow, deadlines and the request-lifecycle events."""
