"""``python -m patrolplan``: the same as the ``patrolplan`` command."""

from patrolplan.cli import main

main()
