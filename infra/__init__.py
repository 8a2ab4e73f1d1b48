"""The deployed stack: a SAM template generated from the code's definitions, merged with hand-written fragments."""
