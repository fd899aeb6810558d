{
  "variables": {
    "blake3_dir%": "<!(node scripts/blake3-dir.mjs)"
  },
  "targets": [
    {
      "target_name": "hashing_native",
      "sources": ["src/addon.c", "src/file_digest.c", "src/file_open.c", "src/read_full.c", "src/tree_list.c", "src/turns.c", "src/resource_list.c"],
      "cflags": ["-O3", "-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [
        [
          "blake3_dir!=''",
          {
            "defines": ["MS_HAVE_BLAKE3"],
            "include_dirs": ["<(blake3_dir)"],
            "sources": [
              "src/blake3_tree.c",
              "src/mapped_window.c",
              "<(blake3_dir)/blake3.c",
              "<(blake3_dir)/blake3_dispatch.c",
              "<(blake3_dir)/blake3_portable.c",
              "<(blake3_dir)/blake3_sse2_x86-64_unix.S",
              "<(blake3_dir)/blake3_sse41_x86-64_unix.S",
              "<(blake3_dir)/blake3_avx2_x86-64_unix.S",
              "<(blake3_dir)/blake3_avx512_x86-64_unix.S"
            ]
          }
        ]
      ]
    }
  ]
}
