"""Bad input files for the bad-input tests (tests/test_bad_input*.py): each reader's good file and
the ways users break it (other compressors under a .gz name, binary data, cut files ...)."""
from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zipfile

#: a small emergent .dat table (a string, a float and an int column, two rows)
DAT = '_H:\t$Name\t%x\t|n\n_D:\t"a"\t0.5\t1\n_D:\t"b"\t1\t2\n'

#: a small TEXT weight file (one layer of one unit, no connections)
WTS = "<Fmt TEXT>\n<Name N>\n<Epoch 0>\n<Lay In>\n<Ug>\n<UgUn 0 >\n<Un>\n0.5\n</Un>\n</UgUn>\n</Ug>\n</Lay>\n"

#: a small ta_Dump project: skeleton pass (lines 2-17), value pass (18-43); the units lists are
#: sized in the skeleton and left empty in the value pass, as emergent writes them
MINI_PROJ = """// ta_Dump File v3.0 -- code v8.5.6.0 rev11473
LeabraProject .projects[0] {
 Network_Group @.networks = [1] {
  LeabraNetwork @[0] {
   Layer_Group @.layers = [2] {
    LeabraLayer @[0] {
     Unit_Group @.units = [4] {
     };
    };
    LeabraLayer @[1] {
     Unit_Group @.units = [4] {
     };
    };
   };
  };
 };
};
LeabraProject .projects[0] {
 name="P";
 networks {
  name="networks";
  LeabraNetwork @[0] {
   name="Net";
   layers {
    name="layers";
    LeabraLayer @[0] {
     name="In";
     lay_inhib {on=1: gi=1.8: };
     units {
      name="units";
     };
    };
    LeabraLayer @[1] {
     name="Out";
     units {
      name="units";
     };
    };
   };
  };
 };
};
"""


def line_of(text: str, needle: str, start: int = 1) -> int:
    """1-based number of the first line at or after ``start`` that contains ``needle``."""
    for i, line in enumerate(text.splitlines()[start - 1:], start=start):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in the text")


def _zip(data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("table.dat", data)
    return buf.getvalue()


#: what a file really is -> (the name the reader should give it, how to make it from good bytes)
OTHER_KINDS = {
    "bzip2": ("bzip2", bz2.compress),
    "xz": ("xz", lzma.compress),
    "zip": ("zip archive", _zip),
    "zstd": ("zstd", lambda d: b"\x28\xb5\x2f\xfd" + bytes(range(1, 64))),      # magic + frame bytes
    "hdf5": ("HDF5", lambda d: b"\x89HDF\r\n\x1a\n" + bytes(range(1, 200))),
    "lz4": ("lz4", lambda d: b"\x04\x22\x4d\x18" + bytes(range(1, 64))),
}


def broken(good: bytes) -> dict[str, bytes]:
    """The ways a text input gets broken: a reader must refuse each one, naming the file."""
    return {
        "empty": b"",
        "cut_in_half": good[:len(good) // 2],
        "bzip2_as_gz": bz2.compress(good),
        "xz_as_gz": lzma.compress(good),
        "binary": bytes(range(256)) * 4,
        "corrupt_gzip": gzip.compress(good)[:20],
    }
