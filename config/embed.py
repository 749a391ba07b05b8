#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Turn a text file into a C string (for the embedded default config):
#   embed.py INPUT OUTPUT SYMBOL
# defines `const char SYMBOL[]` and `const size_t SYMBOL_len`.
import sys

src, dst, sym = sys.argv[1:4]
data = open(src, "rb").read()
with open(dst, "w") as out:
    out.write("/* SPDX-License-Identifier: MIT */\n")
    out.write(f"/* Generated from {src.split('/')[-1]} by config/embed.py; do not edit. */\n")
    out.write("#include <stddef.h>\n\n")
    out.write(f"extern const char {sym}[];\nextern const size_t {sym}_len;\n\n")
    out.write(f"const char {sym}[] =\n")
    for line in data.splitlines(keepends=True) or [b""]:
        esc = "".join(c if 32 <= ord(c) < 127 and c not in '"\\?' else f"\\{ord(c):03o}"
                      for c in line.decode("latin-1"))
        out.write(f'\t"{esc}"\n')
    out.write(";\n")
    out.write(f"const size_t {sym}_len = {len(data)};\n")
