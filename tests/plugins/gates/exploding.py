"""A gate plugin whose gate raises, loaded by tests as if it were installed."""

from engine.plugins import hookimpl


class Exploding:
    def check_options(self, options):
        return None

    def evaluate(self, context, options):
        raise ConnectionError("ticket system unreachable")


@hookimpl
def promote_register_gates(register) -> None:
    register("exploding", Exploding())
