/** cluster-key-slot ships no declarations: the one function the cache uses (src/cache/cluster-backend.ts). */
declare module 'cluster-key-slot' {
  /** Redis Cluster's hash slot (0..16383) of a key, honouring `{hash tags}`. */
  export default function calculateSlot(key: string | Buffer): number;
}
