// The MegEngine runtime this release of @lite/core loads, pinned: the wheel of the Python package
// index that carries it and the files taken from it. Mirrors tools/runtime/runtime.json (the repo's
// setup pin); test/runtime-fetch.test.ts fails when the two disagree.

/** One file taken from the wheel: its path inside the wheel and inside the runtime folder. */
export interface WheelMember {
  readonly from: string;
  readonly to: string;
}

/** A pinned wheel and the runtime files it carries. */
export interface WheelPin {
  /** Project name on the package index. */
  readonly project: string;
  readonly version: string;
  /** File name of the wheel on the index. */
  readonly wheel: string;
  readonly sha256: string;
  readonly size: number;
  /** `pip download` options that select this wheel from any machine. */
  readonly pip: readonly string[];
  /** The lite library first (the file the loader opens), then the libraries it loads. */
  readonly members: readonly WheelMember[];
}

export const MEGENGINE_VERSION = '1.13.0';

const LINUX_X64: WheelPin = {
  project: 'megengine',
  version: MEGENGINE_VERSION,
  wheel: 'MegEngine-1.13.0-cp310-cp310-manylinux2014_x86_64.whl',
  sha256: '1f93ed6eecc2729137b0b1677ec6b2e06707826c2161794b850c0ba931136dd4',
  size: 936639541,
  pip: ['--platform', 'manylinux2014_x86_64', '--python-version', '3.10', '--implementation', 'cp', '--abi', 'cp310'],
  members: [
    { from: 'megenginelite/libs/liblite_shared_whl.cpython-310-x86_64-linux-gnu.so', to: 'megenginelite/libs/liblite_shared_whl.so' },
    { from: 'megengine/core/lib/libmegengine_shared.so', to: 'megengine/core/lib/libmegengine_shared.so' },
    { from: 'megengine/core/lib/libatomic.so.1', to: 'megengine/core/lib/libatomic.so.1' },
    { from: 'megengine/core/lib/libnvrtc.so.10.1', to: 'megengine/core/lib/libnvrtc.so.10.1' },
    { from: 'megengine/core/lib/libnvToolsExt.so.1', to: 'megengine/core/lib/libnvToolsExt.so.1' },
  ],
};

const DARWIN_X64: WheelPin = {
  project: 'megengine',
  version: MEGENGINE_VERSION,
  wheel: 'MegEngine-1.13.0-cp310-cp310-macosx_10_14_x86_64.whl',
  sha256: '188a13dd6f3951c139604756d4c8b0b0e11f69d3952d1b9b93c8de9b2ff779d5',
  size: 25708732,
  pip: ['--platform', 'macosx_10_14_x86_64', '--python-version', '3.10', '--implementation', 'cp', '--abi', 'cp310'],
  members: [
    { from: 'megenginelite/libs/liblite_shared_whl.cpython-310-darwin.so', to: 'megenginelite/libs/liblite_shared_whl.so' },
    { from: 'megengine/core/lib/libmegengine_shared.dylib', to: 'megengine/core/lib/libmegengine_shared.dylib' },
  ],
};

/** The CPU runtime wheel of each platform key (`<os>-<arch>`). */
export const MEGENGINE_WHEELS: Readonly<Record<string, WheelPin>> = {
  'linux-x64': LINUX_X64,
  'darwin-x64': DARWIN_X64,
};

/**
 * The CUDA runtime of each platform that has one: the unmodified library of the same wheel (the
 * npm runtime package carries a copy without the CUDA device code).
 */
export const MEGENGINE_CUDA_WHEELS: Readonly<Record<string, WheelPin>> = {
  'linux-x64': LINUX_X64,
};
