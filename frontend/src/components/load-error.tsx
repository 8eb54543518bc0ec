import { Alert, type AlertRootProps, Button, Stack } from '@chakra-ui/react';
import { ApiError } from '@/lib/api';

interface Props extends Omit<AlertRootProps, 'status'> {
  /** What failed to load, for the title ("the queue"). */
  what: string;
  error: Error;
  onRetry: () => void;
  /** Said instead when the server answers 404: the thing is gone, retrying will not help. */
  gone?: string;
}

/** A failed load: what went wrong in the server's words, and a way to try again. */
export function LoadError({ what, error, onRetry, gone, ...rest }: Props) {
  const missing = gone !== undefined && error instanceof ApiError && error.status === 404;
  return (
    <Alert.Root status={missing ? 'info' : 'error'} role="alert" {...rest}>
      <Alert.Indicator />
      <Stack gap="2" flex="1" align="start">
        <Alert.Title>{missing ? gone : `Could not load ${what}.`}</Alert.Title>
        <Alert.Description>{error.message}</Alert.Description>
        {!missing && (
          <Button size="xs" variant="outline" onClick={onRetry}>
            Try again
          </Button>
        )}
      </Stack>
    </Alert.Root>
  );
}
