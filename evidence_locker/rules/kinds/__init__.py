"""One module per rule kind; each turns a rule and the prepared records into hits."""
