# Kernel settings for the notebooks nbval runs (`make test` copies this file into
# build/ipython/profile_default/ and points IPYTHONDIR there; `make lab` is unaffected).
#
# Don't forward low-level writes to file descriptors 1 and 2 into cell outputs. Under load,
# ipykernel itself prints "IOStream.flush timed out" to sys.__stderr__, and with fd capture on
# that line lands in whatever cell is running as an unexpected stderr output, failing nbval at
# random. Python-level print() and warnings still reach the cells (sys.stdout/sys.stderr).
c = get_config()  # noqa: F821 - provided by IPython's config loader
c.IPKernelApp.capture_fd_output = False

# TQDM_DISABLE=1 (set for tests and stored outputs) silences tqdm's plain bar, but the notebook
# bar that tqdm.auto picks in a kernel passes disable=False explicitly and ignores it, leaving a
# frozen "0%" widget in every stored output. With the variable set, tqdm.auto gives the plain bar.
c.InteractiveShellApp.exec_lines = [
    "exec(\"import os, tqdm.auto, tqdm.std\\nif os.environ.get('TQDM_DISABLE'):\\n"
    "    tqdm.auto.tqdm, tqdm.auto.trange = tqdm.std.tqdm, tqdm.std.trange\", {})"]
