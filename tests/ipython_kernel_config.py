# Kernel settings for the notebooks nbval runs (`make test` copies this file into
# build/ipython/profile_default/ and points IPYTHONDIR there; `make lab` is unaffected).
#
# Don't forward low-level writes to file descriptors 1 and 2 into cell outputs. Under load,
# ipykernel itself prints "IOStream.flush timed out" to sys.__stderr__, and with fd capture on
# that line lands in whatever cell is running as an unexpected stderr output, failing nbval at
# random. Python-level print() and warnings still reach the cells (sys.stdout/sys.stderr).
c = get_config()  # noqa: F821 - provided by IPython's config loader
c.IPKernelApp.capture_fd_output = False
