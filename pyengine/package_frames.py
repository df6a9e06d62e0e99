"""Which stack frames are pyengine's own code: the one test behind the profiler's user stacks
(autograd_profiler), the public name an error reports (sparse_coo) and the face a program calls
through (calling_face). A file counts when it lies inside the package folder; the separator is
part of the prefix, so a program in a sibling folder such as `pyengine_examples/` is not taken
for the package."""
import os

PACKAGE_PREFIX = os.path.dirname(os.path.abspath(__file__)) + os.sep


def is_package_frame(frame):
    return os.path.abspath(frame.f_code.co_filename).startswith(PACKAGE_PREFIX)
