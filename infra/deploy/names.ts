// Cluster names become NATS subject tokens, CloudEvents sources and Trigger filters.
const TOKEN = /^[A-Za-z0-9_-]+$/;

export function assertClusterName(name: string): string {
  if (!TOKEN.test(name)) throw new Error(`invalid cluster name "${name}": use letters, digits, '-' and '_' only`);
  return name;
}
