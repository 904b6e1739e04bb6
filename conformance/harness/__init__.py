"""A local, black-box reproduction of the certification suite's OP test modules."""
