"""How the local engine marks what it wrote itself, in one place (a neutral module: utils can
import it in live mode without loading the stand-in model)."""

MARKER = "[local engine]"  # opens every text the stand-in model composes
