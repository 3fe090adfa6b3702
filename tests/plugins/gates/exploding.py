"""A gate plugin whose gate raises, loaded by tests as if it were installed."""

from promote.engine.plugins import hookimpl


class Exploding:
    def check_options(self, options):
        return None

    def evaluate(self, context, options):
        raise ConnectionError("ticket system unreachable")


@hookimpl
def promote_register_gates(register) -> None:
    register("exploding", Exploding())


class Exiting:
    """A gate that calls sys.exit() (as a script turned plugin might) or raises Ctrl-C itself."""

    def __init__(self, raised: BaseException) -> None:
        self.raised = raised

    def check_options(self, options):
        return None

    def evaluate(self, context, options):
        raise self.raised


@hookimpl(specname="promote_register_gates")
def register_exiting_gates(register) -> None:
    register("exits", Exiting(SystemExit(0)))
    register("interrupts", Exiting(KeyboardInterrupt()))
