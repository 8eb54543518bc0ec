import { Alert, Button, Stack } from '@chakra-ui/react';
import { Component, type ErrorInfo, type ReactNode } from 'react';

interface Props {
  /** What this panel is, for the message ("the queue"). */
  label: string;
  children: ReactNode;
}

/** One per panel: a failing panel shows its error and a retry, the rest of the screen works. */
export class PanelErrorBoundary extends Component<Props, { error: Error | null }> {
  state = { error: null as Error | null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  componentDidCatch(error: Error, info: ErrorInfo) {
    console.error(`panel "${this.props.label}" failed`, error, info.componentStack);
  }

  render() {
    if (this.state.error === null) return this.props.children;
    return (
      <Alert.Root status="error" borderRadius="md" role="alert">
        <Alert.Indicator />
        <Stack gap="2" flex="1">
          <Alert.Title>Could not show {this.props.label}.</Alert.Title>
          <Alert.Description>{this.state.error.message}</Alert.Description>
          <Button size="xs" variant="outline" onClick={() => this.setState({ error: null })}>
            Try again
          </Button>
        </Stack>
      </Alert.Root>
    );
  }
}
