"""Update handlers: parse, authorise, call a service, render the reply."""
