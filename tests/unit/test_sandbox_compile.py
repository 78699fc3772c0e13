"""What a process owner may write in a diagram's script compiles in the sandbox."""
from engine.sandbox import compile_sandboxed


def test_a_script_that_defines_a_class_or_a_function_compiles():
    code = compile_sandboxed("class Row:\n    pass\n\ndef double(n):\n    return n * 2\n\nresult = double(2)\n")
    assert code is not None
