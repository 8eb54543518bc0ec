export function AlertsBell(_props: { tenantId: string }) {
  return null;
}
