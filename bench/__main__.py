"""``python -m bench [--quick]``: the booking benchmark (see ``bench.booking``)."""

from .booking import main

main()
