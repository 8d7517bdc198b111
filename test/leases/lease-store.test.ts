import { FileLeaseStore, MemoryLeaseStore } from "../../src/dhcp/leases/lease-store.js";
import { describeLeaseStore } from "./describe-lease-store.js";
import { tempDir } from "./lease-fixtures.js";

describeLeaseStore("memory", async () => ({ store: new MemoryLeaseStore(), cleanup: async () => {} }));

describeLeaseStore("file", async () => {
  const { dir, remove } = await tempDir();
  let current = new FileLeaseStore({ dir });
  return {
    store: current,
    reopen: async () => {
      await current.close();
      current = new FileLeaseStore({ dir });
      const { warnings } = await current.open();
      if (warnings.length > 0) throw new Error(`unexpected warnings: ${warnings.join("; ")}`);
      return current;
    },
    cleanup: async () => {
      await current.close();
      await remove();
    },
  };
});

describeLeaseStore("file, small compactEvery", async () => {
  const { dir, remove } = await tempDir();
  let current = new FileLeaseStore({ dir, compactEvery: 7 });
  return {
    store: current,
    reopen: async () => {
      await current.close();
      current = new FileLeaseStore({ dir, compactEvery: 7 });
      await current.open();
      return current;
    },
    cleanup: async () => {
      await current.close();
      await remove();
    },
  };
});
